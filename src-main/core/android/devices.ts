import type { Client } from '@devicefarmer/adbkit';
import type { AndroidDevice } from './types';
import { deviceState, deviceTransport, readDeviceFacts, stateProblem, type DeviceFacts } from './device-facts';

/** adbkit's device entry. */
interface AdbDevice {
  readonly id: string;
  readonly type: string;
}

/** Describe one adb device: its state, and the facts read from it when it is usable. */
export async function describeDevice(
  client: Client,
  entry: AdbDevice,
  droidLinks: Readonly<Record<string, string>>,
  cached?: DeviceFacts,
): Promise<{ device: AndroidDevice; facts?: DeviceFacts }> {
  const state = deviceState(entry.type);
  let facts = cached;
  let readProblem: string | undefined;
  if (state === 'device' && !facts) {
    try {
      facts = await readDeviceFacts(client.getDevice(entry.id));
    } catch (error) {
      readProblem = `Could not read the phone's properties: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const problem = stateProblem(state, facts) ?? readProblem;
  const droid = droidLinks[entry.id];
  const device: AndroidDevice = {
    serial: entry.id,
    state,
    transport: deviceTransport(entry.id),
    ...(state === 'device' ? facts : {}),
    ...(droid ? { droid } : {}),
    ...(problem ? { problem } : {}),
  };
  return { device, ...(facts ? { facts } : {}) };
}

/** Every device the adb server knows, described. */
export async function listAndroidDevices(client: Client, droidLinks: Readonly<Record<string, string>>): Promise<AndroidDevice[]> {
  const entries = (await client.listDevices()) as AdbDevice[];
  const described = await Promise.all(entries.map((entry) => describeDevice(client, entry, droidLinks)));
  return described.map((d) => d.device).sort((a, b) => a.serial.localeCompare(b.serial));
}

/**
 * Follows the adb server's device list (host:track-devices, pushed by the server, no
 * polling) and keeps a described list, calling `onChange` with the whole list whenever a
 * phone appears, changes state or disappears. Facts are read once per connection.
 */
export class DeviceTracker {
  private readonly devices = new Map<string, AndroidDevice>();
  private readonly facts = new Map<string, DeviceFacts>();
  private tracker?: { end(): unknown; on(event: string, listener: (...args: never[]) => void): unknown };
  private ready?: Promise<void>;
  private closed = false;
  private recheck?: NodeJS.Timeout;

  constructor(
    private readonly client: Client,
    private readonly links: () => Readonly<Record<string, string>>,
    private readonly onChange: (devices: readonly AndroidDevice[]) => void,
  ) {}

  get started(): boolean {
    return this.ready !== undefined;
  }

  /** Start following (once); resolves when the first list is known. */
  start(): Promise<void> {
    this.ready ??= this.begin();
    return this.ready;
  }

  private async begin(): Promise<void> {
    const tracker = await this.client.trackDevices();
    this.tracker = tracker as unknown as NonNullable<DeviceTracker['tracker']>;
    const update = (entry: AdbDevice) => void this.refresh(entry);
    tracker.on('add', update);
    tracker.on('change', update);
    tracker.on('remove', (entry: AdbDevice) => {
      this.devices.delete(entry.id);
      this.facts.delete(entry.id);
      this.emit();
    });
    tracker.on('end', () => {
      // The adb server went away (killed, restarted): forget the devices and follow again.
      this.devices.clear();
      this.facts.clear();
      this.emit();
      this.ready = undefined;
      if (!this.closed) setTimeout(() => void this.start().catch(() => undefined), 1000).unref();
    });
    tracker.on('error', () => undefined);
    const entries = (await this.client.listDevices()) as AdbDevice[];
    await Promise.all(entries.map((entry) => this.refresh(entry, false)));
    this.emit();
  }

  /**
   * Read the server's list once and apply what differs. adb's track-devices does not report
   * every transition (a TCP phone going offline -> unauthorized is missed), so an explicit
   * list request, and a few spaced re-checks while a phone is offline, catch up.
   */
  async sync(): Promise<void> {
    const entries = (await this.client.listDevices()) as AdbDevice[];
    const seen = new Set(entries.map((e) => e.id));
    let changed = false;
    for (const serial of [...this.devices.keys()]) {
      if (!seen.has(serial)) {
        this.devices.delete(serial);
        this.facts.delete(serial);
        changed = true;
      }
    }
    for (const entry of entries) {
      if (this.devices.get(entry.id)?.state !== deviceState(entry.type)) {
        await this.refresh(entry, false);
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  private recheckOffline(attempt = 0): void {
    if (this.closed || attempt >= 5 || this.recheck) return;
    if (![...this.devices.values()].some((d) => d.state !== 'device')) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      void this.sync().then(() => this.recheckOffline(attempt + 1), () => undefined);
    }, 1000 * 2 ** attempt);
    this.recheck.unref();
  }

  private async refresh(entry: AdbDevice, emit = true): Promise<void> {
    if (deviceState(entry.type) !== 'device') this.facts.delete(entry.id);
    const { device, facts } = await describeDevice(this.client, entry, this.links(), this.facts.get(entry.id));
    if (facts) this.facts.set(entry.id, facts);
    this.devices.set(entry.id, device);
    if (emit) this.emit();
    if (device.state !== 'device') this.recheckOffline();
  }

  /** Re-apply droid links (after linking) without asking the phones again. */
  relink(): void {
    const links = this.links();
    for (const [serial, device] of this.devices) {
      const { droid: _old, ...rest } = device;
      this.devices.set(serial, { ...rest, ...(links[serial] ? { droid: links[serial] } : {}) });
    }
    this.emit();
  }

  list(): readonly AndroidDevice[] {
    return [...this.devices.values()].sort((a, b) => a.serial.localeCompare(b.serial));
  }

  private emit(): void {
    if (!this.closed) this.onChange(this.list());
  }

  close(): void {
    this.closed = true;
    if (this.recheck) clearTimeout(this.recheck);
    this.tracker?.end();
  }
}
