export { DeployDiff } from './DeployDiff';
export { summariseHostDiff, checkoutKey, diffsToStart, type HostDiffSummary, type HostDiffRun } from './summary';
