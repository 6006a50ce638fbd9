import { create } from 'zustand';
import type { CacheInfo, FleetEvent, DeployCopyPlan, DeployPreview, DeployRecord, HostCacheTrust, HostStatus } from '../../src-main/core/api';
import { initialTrayState, reduceTray, type NotificationSpec, type TrayState } from '../../src-main/shared/tray-model';
import { client } from '../client';
import { useAppStore } from './app';

/** What the confirmation sheet sends. */
export interface DeployRequest {
  readonly targets: readonly string[];
  readonly mode: 'switch' | 'boot' | 'test' | 'dry-activate';
  readonly magicRollback: boolean;
  readonly confirmTimeoutSeconds: number;
  readonly parallel: number;
  readonly canary: boolean;
  readonly keepGoing: boolean;
  /** Home targets: log in as this user instead of the home's own name. */
  readonly asUser?: string;
  /** Do not run the systems' health checks after the switch. */
  readonly skipChecks?: boolean;
  /** Make the new generation the boot default and reboot the systems, one at a time (mode is then boot). */
  readonly reboot?: boolean;
}

/** What the reboot sheet sends (`deploy.reboot`). */
export interface RebootRequest {
  readonly targets: readonly string[];
  /** Hosts down at once. */
  readonly parallel: number;
  readonly canary: boolean;
  readonly allAtOnce: boolean;
  readonly timeoutSeconds: number;
  readonly skipChecks?: boolean;
}

/** A notification shown in the page (and, when allowed, by the browser). */
export interface DeployToast extends NotificationSpec {
  readonly id: number;
}

interface DeployState {
  readonly history: readonly DeployRecord[] | null;
  readonly historyError: string | null;
  readonly hosts: readonly HostStatus[] | null;
  readonly hostsLoading: boolean;
  readonly hostsError: string | null;
  readonly toasts: readonly DeployToast[];
  /** The tray/notification model, the same pure function the desktop tray uses. */
  readonly tray: TrayState;
  loadHistory(): Promise<void>;
  refreshHosts(): Promise<void>;
  preview(targets: readonly string[], asUser?: string): Promise<DeployPreview>;
  /** Where each target is built and where its closure would come from (cache, build host, here). */
  plan(targets: readonly string[], asUser?: string): Promise<DeployCopyPlan>;
  /** The checkout's binary cache (undefined: not read yet; null: none set). */
  readonly cache: CacheInfo | null | undefined;
  readonly cacheError: string | null;
  loadCache(): Promise<void>;
  /** Set (or with url null clear) the cache; the core validates and throws a person-readable error. */
  setCache(url: string | null, secretKeyFile?: string): Promise<void>;
  /** Per host: does it trust the cache's key and substitute from it. */
  cacheTrust(): Promise<readonly HostCacheTrust[]>;
  start(request: DeployRequest): Promise<string>;
  /** Reboot systems, rolling; answers the job id. */
  reboot(request: RebootRequest): Promise<string>;
  rollback(target: string, generation?: number): Promise<string>;
  dismissToast(id: number): void;
  apply(event: FleetEvent): void;
}

let toastId = 1;

/** Ask the browser once for permission to notify (only from a click: browsers require a gesture). */
export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  void Notification.requestPermission().catch(() => undefined);
}

function openDeploy(jobId: string): void {
  useAppStore.getState().navigate('deploys', jobId);
}

function notify(spec: NotificationSpec): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(spec.title, { body: spec.body, tag: spec.jobId, requireInteraction: spec.urgent });
    n.onclick = () => {
      window.focus();
      openDeploy(spec.jobId);
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker; the in-page toast remains.
  }
}

/** Deploys: history, host status, starting deploys, and notifications when they end. */
export const useDeployStore = create<DeployState>((set, get) => ({
  history: null,
  historyError: null,
  hosts: null,
  hostsLoading: false,
  hostsError: null,
  toasts: [],
  tray: initialTrayState,
  cache: undefined,
  cacheError: null,

  async loadCache() {
    try {
      set({ cache: await client().invoke('cache.get', {}), cacheError: null });
    } catch (error) {
      set({ cache: null, cacheError: (error as Error).message });
    }
  },

  async setCache(url, secretKeyFile) {
    const cache = await client().invoke('cache.set', { url, ...(secretKeyFile ? { secretKeyFile } : {}) });
    set({ cache, cacheError: null });
  },

  cacheTrust: () => client().invoke('cache.trust', {}),

  async loadHistory() {
    try {
      set({ history: await client().invoke('deploy.history', { limit: 100 }), historyError: null });
    } catch (error) {
      set({ historyError: (error as Error).message, history: get().history ?? [] });
    }
  },

  async refreshHosts() {
    set({ hostsLoading: true });
    try {
      const hosts = await client().invoke('deploy.status', {});
      set({ hosts, hostsError: null, hostsLoading: false });
    } catch (error) {
      set({ hostsError: (error as Error).message, hostsLoading: false });
    }
  },

  preview: (targets, asUser) => client().invoke('deploy.preflight', { targets: [...targets], ...(asUser ? { asUser } : {}) }),
  plan: (targets, asUser) => client().invoke('deploy.plan', { targets: [...targets], ...(asUser ? { asUser } : {}) }),

  async start(request) {
    const { jobId } = await client().invoke('deploy.start', {
      targets: [...request.targets],
      mode: request.mode,
      magicRollback: request.magicRollback,
      confirmTimeoutSeconds: request.confirmTimeoutSeconds,
      parallel: request.parallel,
      canary: request.canary,
      keepGoing: request.keepGoing,
      ...(request.asUser ? { asUser: request.asUser } : {}),
      ...(request.skipChecks ? { skipChecks: true } : {}),
      ...(request.reboot ? { reboot: {} } : {}),
    });
    return jobId;
  },

  async reboot(request) {
    const { jobId } = await client().invoke('deploy.reboot', {
      targets: [...request.targets],
      parallel: request.parallel,
      canary: request.canary,
      allAtOnce: request.allAtOnce,
      timeoutSeconds: request.timeoutSeconds,
      ...(request.skipChecks ? { skipChecks: true } : {}),
    });
    return jobId;
  },

  async rollback(target, generation) {
    const { jobId } = await client().invoke('deploy.rollback', { target, ...(generation ? { generation } : {}) });
    return jobId;
  },

  dismissToast(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },

  apply(event) {
    const { state, notifications } = reduceTray(get().tray, event);
    const toasts = [...get().toasts, ...notifications.map((n) => ({ ...n, id: toastId++ }))].slice(-4);
    set({ tray: state, toasts });
    for (const n of notifications) notify(n);
    if (event.type === 'deploy.hosts') set({ hosts: event.hosts });
    if (event.type === 'deploy.started' || event.type === 'deploy.finished') void get().loadHistory();
    // Hosts just deployed changed generation: re-read them when the list is on screen.
    if (event.type === 'deploy.finished' && get().hosts !== null && !get().hostsLoading) void get().refreshHosts();
  },
}));

let unwire: (() => void) | undefined;

/** Feed the deploy store from the core's events, once (safe to call again). */
export function wireDeployStore(): () => void {
  if (!unwire) {
    const off = client().subscribe((event) => useDeployStore.getState().apply(event));
    unwire = () => {
      off();
      unwire = undefined;
    };
  }
  return unwire;
}
