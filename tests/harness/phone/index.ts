/**
 * The phone EMULATION of the test fleet: an Android phone that speaks the ADB transport over
 * TCP to the real adb server and runs a Nix-on-Droid-like sandbox. See README.md.
 */
export { startPhone, downPhones, adbDeviceState, connectAdb } from './phone.js';
export type { Phone, StartPhoneOptions, PhoneScenario, AuthMode, DownPhonesOptions } from './phone.js';
export { phoneCommand } from './lab.js';
export { emulatedApk } from './apk.js';
export { PHONES_DIR, APP_ID, APP_HOME, APP_PREFIX } from './sandbox.js';
export { APP_ACTIVITY } from './android.js';
export { FLAKES_QUESTION, PROMPT, DEFAULT_BOOTSTRAP_URL } from './terminal.js';
