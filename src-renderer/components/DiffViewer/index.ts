export { DiffViewer } from './DiffViewer';
export { ClosureChart } from './ClosureChart';
