/** Every fault a lab host can be put in, in one place (see README.md for what each one does). */
export { cutNetwork, restoreNetwork, type CutMode } from './network.js';
export { killSshd, startSshd, restartSshd, changeHostKey } from './sshd.js';
export { breakNextActivation, activationBreakState, disarmActivationBreak, setActivationDelay, type ActivationBreakState } from './activation.js';
export { fillStore, freeStore, storeOnTmpfs } from './store-disk.js';
export { slowLink, restoreLinkSpeed, parseRate, type LinkSpeed } from './link-speed.js';
export { rebootHost, bootPreviousGenerationNextTime, comeBackLate, ignoreNextReboot, neverComeBack, powerOn, clearPowerFault, powerEvents, powerState, waitForPowerState, type PowerEvent, type PowerState } from './power.js';
