export { SystemsScreen } from './SystemsScreen';
export { HomesScreen } from './HomesScreen';
export { DroidsScreen } from './DroidsScreen';
