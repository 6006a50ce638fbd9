import { spawn } from 'node:child_process';

/** How a program started to run on its own went, once it had time to fail. */
export type StartOutcome =
  | { readonly state: 'running' }
  | { readonly state: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly state: 'failed'; readonly message: string };

/**
 * Start a program that outlives the job that starts it (an editor window): an argument
 * array, never a shell, its own process group, no output kept. Launchers (code, xdg-open)
 * hand over and exit at once, so the program is watched for `settleMs`: an exit within that
 * time is reported (status 0 counts as started), a program still running is left to run.
 * A program that could not be started at all (missing, not executable, a broken #! line)
 * is `failed` with the system's reason, so the caller can tell the person.
 */
export function startProgram(
  command: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly settleMs: number },
): Promise<StartOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { detached: true, stdio: 'ignore', env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: StartOutcome) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.unref();
      resolve(outcome);
    };
    child.once('error', (error) => settle({ state: 'failed', message: error.message }));
    child.once('spawn', () => {
      timer = setTimeout(() => settle({ state: 'running' }), options.settleMs);
      child.once('exit', (code, signal) => settle(code === 0 ? { state: 'running' } : { state: 'exited', code, signal }));
    });
  });
}
