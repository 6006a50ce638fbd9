export { DeployDiff } from './DeployDiff';
export { formatBytes, formatDelta, summariseHostDiff, checkoutKey, diffsToStart, type HostDiffSummary, type HostDiffRun } from './summary';
