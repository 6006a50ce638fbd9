import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

const ignoredNames = new Set(['.git', 'node_modules', '.direnv', '.jj']);

export interface CheckoutWatcher {
  close(): Promise<void>;
}

/**
 * Watch a checkout and call `onChange` once per burst of changes (a `git checkout`
 * touches hundreds of files): after `quietMs` without events, or at the latest `maxWaitMs`
 * after the first, so an edit shows within a second even during a long burst. `onError`
 * hears of a failed `onChange`; `onWatchFailed` hears, once, that watching itself failed
 * (the inotify limit, a folder gone): changes may no longer be seen, and the person has to
 * know that.
 */
export function watchCheckout(
  root: string,
  onChange: (paths: readonly string[]) => void,
  options: { quietMs?: number; maxWaitMs?: number; onError?: (error: unknown) => void; onWatchFailed?: (message: string) => void } = {},
): CheckoutWatcher {
  const quietMs = options.quietMs ?? 120;
  const maxWaitMs = options.maxWaitMs ?? 500;
  let pending = new Set<string>();
  let quietTimer: NodeJS.Timeout | undefined;
  let maxTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const flush = (): void => {
    clearTimeout(quietTimer);
    clearTimeout(maxTimer);
    quietTimer = undefined;
    maxTimer = undefined;
    const paths = [...pending];
    pending = new Set();
    if (closed || paths.length === 0) return;
    // This runs from a timer: a throw here would end the process, so it goes to onError instead.
    try {
      onChange(paths);
    } catch (error) {
      try {
        options.onError?.(error);
      } catch {
        // nothing left to tell
      }
    }
  };
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    followSymlinks: false,
    depth: 12,
    // nix build's result symlinks and VCS internals are not part of the homelab.
    ignored: (p: string) => {
      const rel = path.relative(root, p);
      if (rel === '') return false;
      return rel.split(path.sep).some((part) => ignoredNames.has(part) || /^result(-.*)?$/.test(part));
    },
  });
  const note = (changed: string): void => {
    pending.add(changed);
    clearTimeout(quietTimer);
    quietTimer = setTimeout(flush, quietMs);
    maxTimer ??= setTimeout(flush, maxWaitMs);
  };
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed || closed) return;
    failed = true;
    options.onWatchFailed?.(watchErrorMessage(error));
  };
  watcher.on('all', (_event, changed) => note(changed));
  // A watcher error must not crash the core, and must not pass silently either.
  watcher.on('error', fail);
  // `git add`, commit and checkout change what nix sees (it reads tracked files only) without
  // touching the work tree, so the index and HEAD are watched too, not the rest of .git.
  let gitWatcher: fs.FSWatcher | undefined;
  try {
    gitWatcher = fs.watch(path.join(root, '.git'), (_event, name) => {
      if (name === 'index' || name === 'HEAD') note(path.join(root, '.git', name));
    });
    gitWatcher.on('error', fail);
  } catch {
    // not a git repository (or .git is a file, as in a worktree): nothing more to watch
  }
  return {
    async close() {
      closed = true;
      clearTimeout(quietTimer);
      clearTimeout(maxTimer);
      gitWatcher?.close();
      await watcher.close();
    },
  };
}

/** What went wrong, in words a person can act on. */
function watchErrorMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EMFILE') {
    return `the system's limit of watched folders was reached (${code}); raise it with \`sysctl fs.inotify.max_user_watches=524288\` (and fs.inotify.max_user_instances)`;
  }
  return error instanceof Error ? error.message : String(error);
}
