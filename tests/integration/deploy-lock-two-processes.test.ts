import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src-main/core/core';
import { DeployHistory } from '../../src-main/core/deploy/history';
import { deployService } from '../../src-main/core/deploy/service';
import type { DeployRecord } from '../../src-main/core/deploy/types';
import { processStartTime } from '../../src-main/core/process/identity';
import { startDeployWorld, type DeployWorld } from './deploy-world';

const repo = path.resolve(__dirname, '../..');

/** A second real process that only waits. */
function idleProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** Run `fleet ...` as its own process; resolves with its exit code and output. */
function fleet(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; stdout: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(repo, 'bin/fleet.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  return { child, stderr: () => stderr, stdout: () => stdout, done: exited(child) };
}

describe('deploy locks across processes', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-lock-test-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a lock whose owner process is alive is held; once that process is gone it is stale', async () => {
    const core = createCore({ host: 'cli', dataDir });
    try {
      const service = deployService(core.context);
      const other = idleProcess();
      await new Promise((r) => other.once('spawn', r));
      const owner = { deployId: 'd-other', machine: os.hostname(), pid: other.pid!, startTime: processStartTime(other.pid!), who: 't@t', startedAt: Date.now(), program: 'fleet serve' };
      expect(service.isStale(JSON.stringify(owner))).toBe(false);
      // The same pid with another start time is a reused pid: its owner is gone.
      expect(service.isStale(JSON.stringify({ ...owner, startTime: '1' }))).toBe(true);
      // Another machine's process cannot be checked from here: held.
      expect(service.isStale(JSON.stringify({ ...owner, machine: 'elsewhere.invalid' }))).toBe(false);
      other.kill('SIGKILL');
      await exited(other);
      expect(service.isStale(JSON.stringify(owner))).toBe(true);
    } finally {
      await core.dispose();
    }
  });

  it('a deploy running in another process reads as running in the shared history, interrupted once that process dies', async () => {
    // The other process writes the start line itself, as `fleet serve` would.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      import { DeployHistory } from ${JSON.stringify(path.join(repo, 'src-main/core/deploy/history.ts'))};
      const h = new DeployHistory(${JSON.stringify(dataDir)});
      h.start({ id: 'd-live', jobId: 'j-live', who: 't@t', root: '/h', mode: 'switch', logFile: '/dev/null', startedAt: Date.now(), status: 'running', targets: ['moonlight'], outcomes: [{ target: 'moonlight', host: 'moonlight', status: 'running', stage: 'copy', stages: [] }] });
      process.stdout.write('started\\n');
      setInterval(() => {}, 1000);
    `], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => c.toString().includes('started') && resolve());
      child.on('exit', (code) => reject(new Error(`the history writer exited with ${code}`)));
    });
    const history = new DeployHistory(dataDir);
    expect(history.get('d-live')?.status).toBe('running');
    child.kill('SIGKILL');
    await exited(child);
    const after = history.get('d-live') as DeployRecord;
    expect(after.status).toBe('interrupted');
    expect(after.outcomes[0]!.message).toBe('interrupted during copy');
  });

  describe('against a lab host', () => {
    let world: DeployWorld;
    beforeAll(async () => {
      world = await startDeployWorld({ names: ['zephyrus'] });
    });
    afterAll(async () => {
      await world?.stop();
    });

    it('`fleet deploy` refuses a host another fleet process is deploying, naming that process, and does not take its lock', async () => {
      world.edit('systems/zephyrus/default.nix', 'networking.hostName = "zephyrus";', 'networking.hostName = "zephyrus";\n  environment.etc."two-processes".text = "1";');
      const env = { ...world.env, FLEET_DATA_DIR: world.dataDir };
      const first = fleet(['deploy', 'zephyrus', '--flake', world.checkout, '--accept-new-host-keys'], env);
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (/connected as root/.test(first.stderr())) {
            clearInterval(timer);
            // Hold the first deploy still, lock taken, so the second certainly meets it.
            first.child.kill('SIGSTOP');
            resolve();
          } else if (first.child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`the first deploy ended early: ${first.stderr()}`));
          }
        }, 50);
      });
      let second;
      try {
        second = fleet(['deploy', 'zephyrus', '--flake', world.checkout, '--accept-new-host-keys'], env);
        expect(await second.done).toBe(1);
      } finally {
        first.child.kill('SIGCONT');
      }
      const refusal = second.stdout() + second.stderr();
      expect(refusal).toMatch(/zephyrus is locked by another deploy/);
      expect(refusal).toContain(`fleet deploy, pid ${first.child.pid}`);
      expect(refusal).not.toMatch(/releasing a stale lock/);
      // The first deploy, untouched by the second, finishes and releases its lock.
      expect(await first.done, first.stderr()).toBe(0);
      const lock = await world.lab.host('zephyrus').exec(['sh', '-c', 'ls /run/homelab-fleet/lock 2>&1 || true']);
      expect(lock.stdout).toMatch(/No such file/);
    });
  });
});
