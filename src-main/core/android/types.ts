/**
 * What the android domain tells front ends: phones the adb server sees, the facts read from
 * them, droid links, setup steps and deploy outcomes. Plain serialisable data.
 */

/** adb's own words for a device's state. `unauthorized`: the "Allow USB debugging?" prompt is open. */
export type DeviceState = 'device' | 'unauthorized' | 'offline' | 'unknown';

/** How the phone reaches the adb server: a cable, or adb over TCP (wireless debugging, `adb connect`). */
export type DeviceTransport = 'usb' | 'wireless';

/** A phone as the adb server sees it, with the facts read from it when it is usable. */
export interface AndroidDevice {
  readonly serial: string;
  readonly state: DeviceState;
  readonly transport: DeviceTransport;
  readonly model?: string;
  readonly manufacturer?: string;
  readonly androidVersion?: string;
  readonly sdk?: number;
  /** Primary ABI, e.g. arm64-v8a. */
  readonly abi?: string;
  readonly abis?: readonly string[];
  /** Battery charge in percent. */
  readonly battery?: number;
  /** The droid configuration (droids/<name>) this phone is linked to. */
  readonly droid?: string;
  /** What the person has to do before the app can use the phone, when anything. */
  readonly problem?: string;
}

/** The answer of devices.list. */
export interface DeviceList {
  /** The adb server's port (5037, or ANDROID_ADB_SERVER_PORT). */
  readonly adbPort: number;
  readonly devices: readonly AndroidDevice[];
}

/** One step of the phone setup wizard, in order. */
export type SetupStepId = 'abi' | 'installed' | 'bootstrapped' | 'ssh' | 'connection' | 'link';

export type SetupStepStatus = 'pending' | 'done' | 'fixed' | 'failed' | 'skipped';

export interface SetupStep {
  readonly id: SetupStepId;
  readonly title: string;
  readonly status: SetupStepStatus;
  readonly detail?: string;
}

/** The result of droid.setup: every step with what was found or done. */
export interface SetupReport {
  readonly serial: string;
  readonly droid: string;
  readonly steps: readonly SetupStep[];
  /** Everything is in place: the phone can be deployed. */
  readonly ready: boolean;
}

/** A Nix-on-Droid generation (nix-on-droid-N-link). */
export interface DroidGeneration {
  readonly number: number;
  /** As nix-env prints it, e.g. "2026-11-25 19:00:00". */
  readonly date: string;
  readonly current: boolean;
}

/** How a deploy or rollback reached the phone. */
export type PhoneRoute =
  | { readonly kind: 'adb'; readonly serial: string }
  | { readonly kind: 'network'; readonly host: string; readonly port: number };

/** What droid.deploy and droid.rollback finish with. */
export interface DroidDeployResult {
  readonly droid: string;
  readonly route: PhoneRoute;
  /** Generation before and after, as seen on the phone. */
  readonly before?: number;
  readonly after?: number;
  /** The source revision deployed (git commit), or "worktree". */
  readonly revision?: string;
  /** The link dropped and the outcome was read after reconnecting. */
  readonly reconnected?: boolean;
}
