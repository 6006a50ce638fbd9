export { DroidDevicePanel } from './DroidDevicePanel';
export { DeviceCard } from './DeviceCard';
export { SetupWizard } from './SetupWizard';
