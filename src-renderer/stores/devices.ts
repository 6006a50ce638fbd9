import { create } from 'zustand';
import type { FleetEvent, AndroidDevice, DroidGeneration } from '../../src-main/core/api';
import { client } from '../client';

/** Phones the adb server sees, and the droid jobs started from the UI. */
interface DevicesState {
  readonly devices: readonly AndroidDevice[];
  readonly adbPort: number | null;
  readonly status: 'idle' | 'loading' | 'loaded' | 'error';
  readonly error: string | null;
  readonly errorHint: string | null;
  /** Generations per droid, as last read from its phone. */
  readonly generations: Readonly<Record<string, readonly DroidGeneration[] | { readonly error: string }>>;
  /** The job each droid panel shows (setup, deploy, rollback), by droid name. */
  readonly jobs: Readonly<Record<string, string>>;
  load(): Promise<void>;
  apply(event: FleetEvent): void;
  connect(address: string): Promise<void>;
  link(serial: string, droid: string | null): Promise<void>;
  setup(serial: string, droid: string, options: { apkPath?: string; typeWithoutAsking?: boolean }): Promise<string>;
  deploy(droid: string, options: { serial?: string; source: 'head' | 'worktree'; buildOn?: 'phone' | 'laptop' }): Promise<string>;
  pair(address: string, code: string): Promise<string>;
  rollback(droid: string, serial?: string): Promise<string>;
  loadGenerations(droid: string, serial?: string): Promise<void>;
}

function message(error: unknown): { error: string; hint: string | null } {
  const e = error as { message?: string; hint?: string };
  return { error: e.message ?? String(error), hint: e.hint ?? null };
}

export const useDevicesStore = create<DevicesState>()((set, get) => ({
  devices: [],
  adbPort: null,
  status: 'idle',
  error: null,
  errorHint: null,
  generations: {},
  jobs: {},
  async load() {
    set({ status: get().status === 'loaded' ? 'loaded' : 'loading' });
    try {
      const list = await client().invoke('devices.list', {});
      set({ devices: list.devices, adbPort: list.adbPort, status: 'loaded', error: null, errorHint: null });
    } catch (error) {
      const m = message(error);
      set({ status: 'error', error: m.error, errorHint: m.hint });
    }
  },
  apply(event) {
    if (event.type === 'devices.changed') set({ devices: event.devices, status: 'loaded', error: null, errorHint: null });
  },
  async connect(address) {
    await client().invoke('devices.connect', { address });
    await get().load();
  },
  async pair(address, code) {
    const { message } = await client().invoke('devices.pair', { address, code });
    return message;
  },
  async link(serial, droid) {
    await client().invoke('droid.link', { serial, droid });
    set({ devices: get().devices.map((d) => (d.serial === serial ? { ...d, ...(droid ? { droid } : { droid: undefined }) } : d)) });
  },
  async setup(serial, droid, options) {
    const { jobId } = await client().invoke('droid.setup', { serial, droid, ...options });
    set({ jobs: { ...get().jobs, [droid]: jobId } });
    return jobId;
  },
  async deploy(droid, options) {
    const { jobId } = await client().invoke('droid.deploy', {
      droid,
      source: options.source,
      ...(options.buildOn ? { buildOn: options.buildOn } : {}),
      ...(options.serial ? { serial: options.serial } : {}),
    });
    set({ jobs: { ...get().jobs, [droid]: jobId } });
    return jobId;
  },
  async rollback(droid, serial) {
    const { jobId } = await client().invoke('droid.rollback', { droid, ...(serial ? { serial } : {}) });
    set({ jobs: { ...get().jobs, [droid]: jobId } });
    return jobId;
  },
  async loadGenerations(droid, serial) {
    try {
      const list = await client().invoke('droid.generations', { droid, ...(serial ? { serial } : {}) });
      set({ generations: { ...get().generations, [droid]: list } });
    } catch (error) {
      set({ generations: { ...get().generations, [droid]: { error: message(error).error } } });
    }
  },
}));

let unwire: (() => void) | undefined;

/** Follow devices.changed (once per page) and load the list; safe to call from every panel. */
export function wireDevicesStore(): void {
  if (unwire) return;
  unwire = client().subscribe((event) => useDevicesStore.getState().apply(event));
  void useDevicesStore.getState().load();
}

/** The phones linked to a droid, and the usable phones not linked to any droid. */
export function devicesFor(devices: readonly AndroidDevice[], droid: string): { linked: AndroidDevice[]; others: AndroidDevice[] } {
  return {
    linked: devices.filter((d) => d.droid === droid),
    others: devices.filter((d) => d.droid !== droid),
  };
}
