/** Small wrapper to run a host program with an argument array and collect its output. */
import { spawn } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args`; rejects with the stderr tail on a non-zero exit unless allowFail. */
export function run(cmd: string, args: readonly string[], opts: { allowFail?: boolean; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      } else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
