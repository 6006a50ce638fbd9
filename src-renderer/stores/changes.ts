import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { FleetEvent, AffectedReport, FileDiff, WorkingChanges, LockDiff, ClosureDiffReport } from '../../src-main/core/api';
import { client, type FleetClient } from '../client';

/** What the changes store needs from the core. */
export type ChangesClient = Pick<FleetClient, 'invoke' | 'subscribe'>;

/** A job this store started and waits for (closure diff, input update). */
interface Waiting {
  readonly jobId: string;
  readonly kind: 'closure' | 'update';
}

export interface ChangesState {
  readonly changes: WorkingChanges | null;
  readonly loading: boolean;
  readonly error: string | null;
  readonly selected: { readonly path: string; readonly staged: boolean } | null;
  readonly fileDiff: FileDiff | null;
  readonly fileLoading: boolean;
  readonly fileError: string | null;
  readonly affected: AffectedReport | null;
  /** 'rules': the layout rules answered; 'confirming': nix is evaluating. */
  readonly affectedState: 'idle' | 'rules' | 'confirming' | 'done' | 'error';
  readonly affectedError: string | null;
  readonly lock: LockDiff | null;
  readonly closure: ClosureDiffReport | null;
  readonly closureMachine: string | null;
  readonly closureState: 'idle' | 'running' | 'done' | 'error';
  readonly closureError: string | null;
  readonly closureJob: string | null;
  readonly updateState: 'idle' | 'running' | 'done' | 'error';
  readonly updateError: string | null;
  readonly actionMessage: string | null;
  readonly waiting: readonly Waiting[];
  /** Load the file list, lock diff and affected machines (rules first, then confirmed). */
  load(): Promise<void>;
  select(path: string, staged?: boolean): Promise<void>;
  confirmAffected(): Promise<void>;
  closureDiff(machine: string, base?: string): Promise<void>;
  updateInputs(inputs?: readonly string[]): Promise<void>;
  commit(message: string): Promise<boolean>;
  stash(): Promise<void>;
  apply(event: FleetEvent): void;
}

/** Create the changes store bound to a client; core events are subscribed on the first load. */
export function createChangesStore(source: () => ChangesClient): UseBoundStore<StoreApi<ChangesState>> {
  let unsubscribe: (() => void) | undefined;
  let generation = 0;
  return create<ChangesState>()((set, get) => ({
    changes: null,
    loading: false,
    error: null,
    selected: null,
    fileDiff: null,
    fileLoading: false,
    fileError: null,
    affected: null,
    affectedState: 'idle',
    affectedError: null,
    lock: null,
    closure: null,
    closureMachine: null,
    closureState: 'idle',
    closureError: null,
    closureJob: null,
    updateState: 'idle',
    updateError: null,
    actionMessage: null,
    waiting: [],
    async load() {
      const api = source();
      unsubscribe ??= api.subscribe((event) => get().apply(event));
      const mine = ++generation;
      set({ loading: true, error: null });
      try {
        const changes = await api.invoke('git.changes', {});
        if (mine !== generation) return;
        set({ changes, loading: false });
        const still = get().selected;
        const first = changes.files[0];
        if (still && changes.files.some((f) => f.path === still.path)) void get().select(still.path, still.staged);
        else if (first) void get().select(first.path);
        else set({ selected: null, fileDiff: null });
        if (changes.repo.head) {
          api.invoke('flake.lockDiff', {}).then((lock) => mine === generation && set({ lock }), () => undefined);
        }
        if (changes.repo.isGit && changes.repo.head) {
          set({ affectedState: 'rules', affectedError: null });
          const rules = await api.invoke('changes.affected', { confirm: false });
          if (mine !== generation) return;
          set({ affected: rules });
          await get().confirmAffected();
        }
      } catch (error) {
        if (mine === generation) set({ loading: false, error: (error as Error).message });
      }
    },
    async select(path, staged = false) {
      set({ selected: { path, staged }, fileLoading: true, fileError: null });
      try {
        const fileDiff = await source().invoke('git.diff', { path, ...(staged ? { staged } : {}) });
        if (get().selected?.path === path) set({ fileDiff, fileLoading: false });
      } catch (error) {
        if (get().selected?.path === path) set({ fileLoading: false, fileDiff: null, fileError: (error as Error).message });
      }
    },
    async confirmAffected() {
      const mine = generation;
      set({ affectedState: 'confirming' });
      try {
        const affected = await source().invoke('changes.affected', { confirm: true });
        if (mine === generation) set({ affected, affectedState: 'done' });
      } catch (error) {
        if (mine === generation) set({ affectedState: 'error', affectedError: (error as Error).message });
      }
    },
    async closureDiff(machine, base) {
      set({ closureMachine: machine, closureState: 'running', closureError: null, closure: null });
      try {
        const { jobId } = await source().invoke('closure.diff', { machine, ...(base ? { base } : {}) });
        set((s) => ({ closureJob: jobId, waiting: [...s.waiting, { jobId, kind: 'closure' }] }));
      } catch (error) {
        set({ closureState: 'error', closureError: (error as Error).message });
      }
    },
    async updateInputs(inputs) {
      set({ updateState: 'running', updateError: null });
      try {
        const { jobId } = await source().invoke('flake.update', inputs && inputs.length ? { inputs: [...inputs] } : {});
        set((s) => ({ waiting: [...s.waiting, { jobId, kind: 'update' }] }));
      } catch (error) {
        set({ updateState: 'error', updateError: (error as Error).message });
      }
    },
    async commit(message) {
      try {
        const result = await source().invoke('git.commit', { message });
        set({ actionMessage: `Committed ${result.files} file(s) as ${result.commit.slice(0, 10)}.` });
        await get().load();
        return true;
      } catch (error) {
        set({ actionMessage: (error as Error).message });
        return false;
      }
    },
    async stash() {
      try {
        const result = await source().invoke('git.stash', {});
        set({ actionMessage: `Changes stashed (${result.stash}); \`git stash pop\` brings them back.` });
        await get().load();
      } catch (error) {
        set({ actionMessage: (error as Error).message });
      }
    },
    apply(event) {
      if (event.type === 'checkout.changed') {
        generation++;
        set({ changes: null, affected: null, lock: null, closure: null, selected: null, fileDiff: null, affectedState: 'idle', closureState: 'idle' });
        if (event.checkout) void get().load();
        return;
      }
      if (event.type !== 'job.status') return;
      const wait = get().waiting.find((w) => w.jobId === event.job.id);
      if (!wait || event.job.status === 'running') return;
      set((s) => ({ waiting: s.waiting.filter((w) => w.jobId !== event.job.id) }));
      const ok = event.job.status === 'succeeded';
      const message = event.job.error?.message ?? `The job ended: ${event.job.status}.`;
      if (wait.kind === 'closure') {
        set(ok ? { closure: event.job.result as ClosureDiffReport, closureState: 'done' } : { closureState: 'error', closureError: message });
      } else {
        set(ok ? { lock: event.job.result as LockDiff, updateState: 'done' } : { updateState: 'error', updateError: message });
        if (ok) void get().load();
      }
    },
  }));
}

/** The app's changes store: the checkout's changes, affected machines and diffs. */
export const useChangesStore = createChangesStore(() => client());
