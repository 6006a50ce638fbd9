export { JobPanel } from './JobPanel';
export { ProgressBar } from './ProgressBar';
export { TargetRow } from './TargetRow';
export { builtWhere, formatDuration } from './format';
