import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FleetError } from '../../src-main/core/contract';
import { runProcess, spawnProcess } from '../../src-main/core/process/run';
import { startProgram } from '../../src-main/core/process/start';

// Real programs (sh, sleep, cat) through the one process runner of core/process.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-process-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Running, not a zombie waiting for whoever adopted it to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the one process runner (core/process)', () => {
  it('stops the whole tree of a program that outlives its timeout and says so', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // The grandchild starts its own session (setsid), as nix's builders do: a group kill alone misses it.
    const error = (await runProcess('sh', ['-c', `setsid sleep 300 & echo $! > ${pidFile}; wait`], { timeoutMs: 500, killGraceMs: 100 }).catch((e: unknown) => e)) as FleetError;
    expect(error).toBeInstanceOf(FleetError);
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/sh did not finish within 0\.5 s/);
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  it('talks to a program over stdin and stdout (spawnProcess with openStdin), and ends it on cancel', async () => {
    const stop = new AbortController();
    const cat = spawnProcess('cat', [], { openStdin: true, signal: stop.signal, killGraceMs: 0 });
    const first = new Promise<string>((resolve) => cat.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    cat.stdin!.write('ping\n');
    expect(await first).toBe('ping\n');
    stop.abort();
    expect(((await cat.done.catch((e: unknown) => e)) as FleetError).code).toBe('cancelled');
  });

  it('keeps only the tail of a long stderr', async () => {
    const result = await runProcess('sh', ['-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done'], { maxStderr: 100 });
    expect(result.code).toBe(0);
    expect(result.stderr.length).toBeLessThanOrEqual(100);
    expect(result.stderr).toMatch(/line 1999\n$/);
  });

  it('reports a program that cannot start, exits at once with an error, or keeps running (startProgram)', async () => {
    const broken = path.join(dir, 'broken');
    fs.writeFileSync(broken, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const failing = path.join(dir, 'failing');
    fs.writeFileSync(failing, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const pidFile = path.join(dir, 'running.pid');
    const running = path.join(dir, 'running');
    fs.writeFileSync(running, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 300\n`, { mode: 0o755 });

    const notStarted = await startProgram(broken, [], { settleMs: 2000 });
    expect(notStarted.state).toBe('failed');
    expect(await startProgram(failing, [], { settleMs: 5000 })).toEqual({ state: 'exited', code: 3, signal: null });
    expect(await startProgram('true', [], { settleMs: 5000 })).toEqual({ state: 'running' });
    expect(await startProgram(running, [], { settleMs: 300 })).toEqual({ state: 'running' });
    // The script writes its pid as it starts; startProgram only waited for it not to fail.
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
  });
});
