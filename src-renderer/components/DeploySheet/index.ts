export { DeployButton, type DeployButtonProps } from './DeployButton';
export { DeploySheet, type DeploySheetProps } from './DeploySheet';
export { DeploySources } from './DeploySources';
