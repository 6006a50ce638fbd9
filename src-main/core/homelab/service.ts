import * as fs from 'node:fs';
import { FleetError } from '../contract';
import { resolveInsideCheckout } from '../checkout/paths';
import { readCheckoutFile } from '../checkout/read-file';
import type { EventBus } from '../events';
import type { SettingsStore } from '../settings/settings';
import { writeFileAtomic } from '../settings/atomic-file';
import { setTopLevelKey } from './meta-edit';
import { deployTargetInput } from './contract';

/** The meta.json deploy fields the target editor sets; the others are left alone. */
const deployTargetFields: ReadonlySet<string> = new Set(Object.keys(deployTargetInput.shape));
import { unsafeHostReason, unsafeUserReason } from './names';
import { evaluateFlake } from './nix-eval';
import { reconcile } from './reconcile';
import { scanInventory } from './scan';
import type { FlakeEvaluation, Inventory, SystemItem } from './types';
import { watchCheckout, type CheckoutWatcher } from './watch';

export interface InventoryServiceOptions {
  readonly events: EventBus;
  readonly settings: SettingsStore;
  readonly env: NodeJS.ProcessEnv;
  /** Watch the checkout and publish changes (the app and `fleet serve`; not the one-shot CLI). */
  readonly live: boolean;
  readonly evalTimeoutMs?: number;
}

export interface DeployTargetChange {
  readonly host?: string;
  readonly user?: string;
  readonly port?: number;
  readonly tags?: readonly string[];
  readonly buildOnTarget?: boolean;
  readonly sudo?: boolean;
}

/**
 * The inventory of the open checkout, kept current: a scan answers at once, one nix
 * evaluation at a time fills in the flake's truth, and (when live) a watcher rescans on
 * every change and re-evaluates. Every new state is published as `inventory.changed`.
 */
export class InventoryService {
  private root: string | undefined;
  private scan: Inventory | undefined;
  private evaluation: FlakeEvaluation = { state: 'pending' };
  private lastSettled: FlakeEvaluation | undefined;
  private revision = 0;
  private watcher: CheckoutWatcher | undefined;
  private evalRunning: Promise<void> | undefined;
  private evalAgain = false;
  private evalAbort: AbortController | undefined;
  private disposed = false;
  /** Why the last rescan after a change failed, shown as a warning until a rescan works. */
  private watchProblem: string | undefined;
  /** Why live refresh stopped for this checkout (watching failed), shown as a warning of the inventory. */
  private liveRefreshProblem: string | undefined;

  constructor(private readonly options: InventoryServiceOptions) {}

  /** The current inventory of `root`: scanned now if it is new (or `rescan`), evaluation started in the background. */
  get(root: string, rescan = false): Inventory {
    if (root !== this.root) this.reset(root);
    if (!this.scan || rescan) {
      this.scan = this.scanNow(root);
      // Live front ends get the flake's answer as an event; the one-shot CLI asks with evaluate().
      if (this.options.live) this.startEvaluation();
    }
    if (this.options.live && !this.watcher) {
      this.watcher = watchCheckout(root, () => this.onFilesChanged(), {
        onError: (error) => this.onWatchFailure(error),
        onWatchFailed: (message) => this.onLiveRefreshStopped(root, message),
      });
    }
    return this.current();
  }

  /** Evaluate the flake (or wait for the evaluation under way) and answer with the reconciled inventory. */
  async evaluate(root: string, timeoutMs?: number): Promise<Inventory> {
    this.get(root);
    // An evaluation under way (e.g. started by a fresh scan) is the answer; otherwise run a new one.
    if (!this.evalRunning) this.startEvaluation(timeoutMs);
    if (this.evalRunning) await this.evalRunning;
    return this.current();
  }

  /** Rescan after a settings change (e.g. the layout folder). */
  refresh(root: string): Inventory {
    this.get(root);
    this.scan = this.scanNow(root);
    return this.publish();
  }

  /**
   * Write a system's deploy target into its meta.json (or remove it with null), keeping
   * the file's other keys and layout, then rescan so the change shows everywhere.
   */
  setDeployTarget(root: string, name: string, deploy: DeployTargetChange | null): SystemItem {
    const inventory = this.get(root, true);
    const system = inventory.systems.find((s) => s.name === name);
    if (!system) {
      const known = inventory.systems.map((s) => s.name).join(', ') || 'none';
      throw new FleetError('not-found', `No system named "${name}" (systems: ${known}).`);
    }
    if (system.flake === 'in-flake-only' || system.path === '') {
      throw new FleetError('invalid-input', `${name} is defined in the flake, not in a systems/ folder, so it has no meta.json to edit.`);
    }
    if (system.path.endsWith('.nix')) {
      throw new FleetError('invalid-input', `${system.path} is a single file, so it has no meta.json.`, {
        hint: `Move it to ${system.path.slice(0, -4)}/default.nix; meta.json then goes beside it.`,
      });
    }
    if (deploy) {
      const reason = (deploy.host !== undefined ? unsafeHostReason(deploy.host) : undefined) ?? (deploy.user !== undefined ? unsafeUserReason(deploy.user) : undefined);
      if (reason) throw new FleetError('invalid-input', `Cannot use this deploy target: ${reason}.`);
    }
    // The real path, refused when the system folder or meta.json is a symlink out of the checkout.
    const file = resolveInsideCheckout(root, `${system.path}/meta.json`);
    const read = readCheckoutFile(root, file);
    let text: string;
    if (read.ok) text = read.text;
    else if (read.reason === 'missing') text = '{\n  "system": ' + JSON.stringify(system.system) + '\n}\n';
    else throw new FleetError('invalid-input', `${system.path}/meta.json ${read.detail}; fix it by hand first.`);
    let next: string;
    try {
      const clean = deploy ? Object.fromEntries(Object.entries(deploy).filter(([, v]) => v !== undefined)) : {};
      // The target editor owns only its own fields: other deploy settings in meta.json
      // (checks, buildHost, ...) stay as the person wrote them.
      const current = (JSON.parse(text) as { deploy?: unknown }).deploy;
      const kept = current && typeof current === 'object' && !Array.isArray(current)
        ? Object.fromEntries(Object.entries(current).filter(([key]) => !deployTargetFields.has(key)))
        : {};
      const merged = { ...kept, ...clean };
      next = setTopLevelKey(text, 'deploy', Object.keys(merged).length > 0 ? merged : undefined);
    } catch (error) {
      throw new FleetError('invalid-input', `${system.path}/meta.json is not a JSON object (${(error as Error).message}); fix it by hand first.`, {
        location: { file, line: 1 },
      });
    }
    let mode = 0o644;
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      // a new meta.json gets the usual mode of a committed file
    }
    writeFileAtomic(file, next, mode);
    this.scan = this.scanNow(root);
    const updated = this.publish().systems.find((s) => s.name === name);
    if (!updated) throw new FleetError('failed', `${name} disappeared while its meta.json was written.`);
    return updated;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.evalAbort?.abort();
    await this.watcher?.close();
    this.watcher = undefined;
    await this.evalRunning?.catch(() => undefined);
  }

  private reset(root: string): void {
    this.evalAbort?.abort();
    void this.watcher?.close();
    this.watcher = undefined;
    this.root = root;
    this.scan = undefined;
    this.evaluation = { state: 'pending' };
    this.lastSettled = undefined;
    this.evalRunning = undefined;
    this.evalAgain = false;
    this.watchProblem = undefined;
    this.liveRefreshProblem = undefined;
  }

  private scanNow(root: string): Inventory {
    const layoutRoot = this.options.settings.get().layoutRoots[root];
    return scanInventory(root, layoutRoot !== undefined ? { layoutRoot } : {});
  }

  private current(): Inventory {
    if (!this.scan) throw new Error('inventory read before the first scan');
    const inventory = reconcile(this.scan, this.evaluation, this.lastSettled);
    const problems = [this.watchProblem, this.liveRefreshProblem && `Live refresh stopped: ${this.liveRefreshProblem}. Changes to the checkout show only after a rescan.`];
    const warnings = [...inventory.warnings, ...problems.filter((m): m is string => Boolean(m)).map((message) => ({ severity: 'warning' as const, message }))];
    return { ...inventory, warnings, revision: this.revision };
  }

  private onLiveRefreshStopped(root: string, message: string): void {
    if (this.disposed || this.root !== root) return;
    this.liveRefreshProblem = message;
    this.options.events.emit({ type: 'inventory.watch-failed', root, message });
    if (this.scan) this.publish();
  }

  /** A rescan after a change failed: the last good scan stays, with a warning saying why it may be stale. */
  private onWatchFailure(error: unknown): void {
    const why = error instanceof RangeError ? 'a file in the checkout nests too deeply' : error instanceof Error ? error.message : String(error);
    this.watchProblem = `The checkout changed but could not be scanned again (${why}); the list may be out of date.`;
    if (this.scan) this.publish();
  }

  private publish(): Inventory {
    this.revision++;
    const inventory = this.current();
    this.options.events.emit({ type: 'inventory.changed', inventory });
    return inventory;
  }

  private onFilesChanged(): void {
    if (this.disposed || !this.root) return;
    this.scan = this.scanNow(this.root);
    this.watchProblem = undefined;
    this.startEvaluation();
    this.publish();
  }

  /** Start an evaluation, or remember to run one more when one is already running (its answer may be stale). */
  private startEvaluation(timeoutMs?: number): void {
    const root = this.root;
    if (!root || this.disposed) return;
    if (this.evalRunning) {
      this.evalAgain = true;
      return;
    }
    this.evaluation = { state: 'pending' };
    const abort = new AbortController();
    this.evalAbort = abort;
    this.evalRunning = (async () => {
      for (;;) {
        this.evalAgain = false;
        const result = await evaluateFlake(root, {
          env: this.options.env,
          timeoutMs: timeoutMs ?? this.options.evalTimeoutMs ?? 120_000,
          signal: abort.signal,
        });
        if (abort.signal.aborted || this.root !== root || this.disposed) return;
        if (this.evalAgain) continue;
        this.evaluation = result;
        if (result.state === 'ok') this.lastSettled = result;
        this.publish();
        return;
      }
    })()
      // Nobody may be waiting on this promise: a failure becomes a warning, never an unhandled rejection.
      .catch((error: unknown) => this.onWatchFailure(error))
      .finally(() => {
        if (this.evalAbort === abort) {
          this.evalRunning = undefined;
          this.evalAbort = undefined;
        }
      });
  }
}
