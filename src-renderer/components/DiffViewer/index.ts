export { DiffViewer } from './DiffViewer';
export { ClosureChart } from './ClosureChart';
export { PackageChangesTable } from './PackageChangesTable';
