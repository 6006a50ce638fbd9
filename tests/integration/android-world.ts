// Shared set-up for the android integration tests (emulated phones): a private adb server
// port (so other suites' adb use does not collide), an SSH key, a git copy of flake/, and a
// core whose host-key and confirm questions are answered yes. The core runs the nix of the
// run's local toolchain (FLEET_TEST_LOCAL_TOOLCHAIN, set by the current-nix projects).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { localNixEnv } from '../harness/toolchain/index.js';
import { startPhone, type Phone } from '../harness/phone/index';
import { freeLoopbackPort } from '../harness/free-port';

const run = promisify(execFile);

export interface AndroidWorld {
  readonly dir: string;
  readonly checkout: string;
  readonly key: string;
  readonly publicKey: string;
  readonly adbPort: number;
  readonly core: FleetCore;
  /** Questions asked so far (kind and title). */
  readonly asked: { kind: string; title: string; message: string }[];
  /** How questions are answered: yes by default; a test may decline confirmations. */
  readonly answers: { confirm: boolean; hostKey: boolean };
  git(args: readonly string[]): Promise<string>;
  /** Invoke a job command and wait for its end. */
  job(name: string, input: unknown): Promise<JobInfo>;
  close(): Promise<void>;
}

/** Build the world; sets ANDROID_ADB_SERVER_PORT in this process so the harness's adb calls use the same server. */
export async function androidWorld(): Promise<AndroidWorld> {
  const localNix = localNixEnv();
  const dir = mkdtempSync(join(tmpdir(), 'fleet-android-'));
  const adbPort = await freeLoopbackPort();
  process.env.ANDROID_ADB_SERVER_PORT = String(adbPort);
  const key = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-test', '-f', key]);
  const publicKey = (await run('cat', [`${key}.pub`])).stdout.trim();
  const checkout = join(dir, 'homelab');
  cpSync(resolve(import.meta.dirname, '../../flake'), checkout, { recursive: true });
  const git = async (args: readonly string[]) =>
    (await run('git', ['-c', 'user.name=fleet', '-c', 'user.email=fleet@localhost', ...args], { cwd: checkout })).stdout.trim();
  await git(['init', '-q']);
  await git(['add', '-A']);
  await git(['commit', '-qm', 'homelab']);
  const env = { ...process.env, ANDROID_ADB_SERVER_PORT: String(adbPort), HOME: dir, ...localNix };
  const core = createCore({ host: 'server', dataDir: join(dir, 'data'), root: checkout, env });
  const asked: AndroidWorld['asked'] = [];
  const answers = { confirm: true, hostKey: true };
  core.subscribe((event) => {
    if (event.type !== 'prompt.request') return;
    asked.push({ kind: event.request.kind, title: event.request.title, message: event.request.message });
    const accept = event.request.kind === 'host-key' ? answers.hostKey : answers.confirm;
    void core.invoke('prompts.answer', { id: event.request.id, accept });
  });
  return {
    dir,
    checkout,
    key,
    publicKey,
    adbPort,
    core,
    asked,
    answers,
    git,
    async job(name, input) {
      const { jobId } = (await core.invoke(name, input)) as { jobId: string };
      return core.context.jobs.wait(jobId);
    },
    async close() {
      await core.dispose();
      await run('adb', ['-P', String(adbPort), 'kill-server']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The world and its emulated phone, as the tests of a file (or describe block) see them once beforeAll has run. */
export interface ReadyPhoneWorld {
  readonly world: AndroidWorld;
  readonly phone: Phone;
}

/**
 * A world and an emulated phone in the 'ready' scenario (its sshd up, the world's key
 * authorized), started in beforeAll and stopped in afterAll of the calling file or describe
 * block. Read `world` and `phone` inside tests and hooks only.
 */
export function readyPhoneWorld(): ReadyPhoneWorld {
  let started: { world?: AndroidWorld; phone?: Phone } = {};
  beforeAll(async () => {
    const world = await androidWorld();
    started = { world }; // closed in afterAll even when the phone does not start
    started = { world, phone: await startPhone({ scenario: 'ready', authorizedKey: world.publicKey }) };
  }, 120_000);
  afterAll(async () => {
    await started.phone?.stop();
    await started.world?.close();
  });
  const must = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the phone world is not started: read it inside a test or hook');
    return value;
  };
  return {
    get world() {
      return must(started.world);
    },
    get phone() {
      return must(started.phone);
    },
  };
}
