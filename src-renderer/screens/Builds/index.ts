export { BuildsScreen } from './BuildsScreen';
