import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type FleetCore } from '../../src-main/core/core';
import type { DeployRecord, DeployResult } from '../../src-main/core/deploy/types';
import type { FleetEvent } from '../../src-main/core/events';
import type { JobInfo } from '../../src-main/core/jobs/types';
import { startHosts, type Lab, type StartHostsOptions } from '../harness/hosts/index.js';
import { localNixEnv, testToolchains } from '../harness/toolchain/index.js';
import { PassphraseCache } from '../../src-main/core/ssh/auth';
import { SshConnection } from '../../src-main/core/ssh/connection';

/**
 * The world of the deploy tests: lab hosts reached through a HOME whose ~/.ssh/config
 * Includes the lab's ssh_config (as a user would), a git copy of the example homelab, and
 * cores on a data folder of their own. Everything real: sshd, nix, the hosts' stores.
 */
export const flakeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../flake');

export interface DeployWorld {
  readonly lab: Lab;
  readonly home: string;
  readonly checkout: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A core on the checkout; prompts are answered by `answers` (host keys accepted by default). */
  core(answers?: PromptAnswers): FleetCore;
  /** Run deploy.start (or another job command) to the end. */
  deploy(input: Record<string, unknown>, options?: { core?: FleetCore; command?: string; answers?: PromptAnswers }): Promise<{ job: JobInfo; record?: DeployRecord; events: FleetEvent[] }>;
  /** Change a file of the checkout and commit. */
  edit(file: string, from: string, to: string): void;
  git(...args: string[]): string;
  /** An SSH connection to a lab host as the app opens one: this world's home and the app's known_hosts, new host keys accepted. */
  connect(host: string): Promise<SshConnection>;
  stop(): Promise<void>;
}

export interface PromptAnswers {
  readonly hostKey?: boolean;
  /** Answer for secret prompts (sudo passwords, passphrases). */
  readonly secret?: string;
}

/**
 * Start the world. The hosts run `options.toolchain`, else FLEET_TEST_HOST_TOOLCHAIN's; the
 * cores use FLEET_TEST_LOCAL_TOOLCHAIN's nix (tests/harness/toolchain/test-world.ts).
 */
export async function startDeployWorld(options: StartHostsOptions & { editCheckout?: (dir: string) => void } = {}): Promise<DeployWorld> {
  const hostToolchain = options.toolchain ?? testToolchains().hosts;
  const localNix = localNixEnv();
  const lab = await startHosts({ ...options, ...(hostToolchain ? { toolchain: hostToolchain } : {}) });
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-deploy-test-'));
  const home = path.join(base, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const checkout = path.join(base, 'homelab');
  fs.cpSync(flakeDir, checkout, { recursive: true, filter: (src) => !/\/result(-\w+)?$/.test(src) });
  options.editCheckout?.(checkout);
  // Systems without a lab host point at a closed loopback port: offline at once, and never a
  // DNS lookup of their names (tests send nothing beyond this machine).
  const labNames = new Set(lab.hosts.map((h) => h.name));
  const others = fs.readdirSync(path.join(checkout, 'systems')).map((n) => n.replace(/\.nix$/, '')).filter((n) => !labNames.has(n));
  fs.writeFileSync(
    path.join(home, '.ssh', 'config'),
    `Include ${lab.sshConfigPath}\n${others.length > 0 ? `Host ${others.join(' ')}\n  HostName 127.0.0.1\n  Port 9\n` : ''}`,
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: checkout, encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'homelab');
  const dataDir = path.join(base, 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, FLEET_NIX_OPTIONS: 'substituters=', ...localNix };
  delete env.SSH_AUTH_SOCK;
  const cores: FleetCore[] = [];

  const world: DeployWorld = {
    lab,
    home,
    checkout,
    dataDir,
    env,
    core(answers = {}) {
      const core = createCore({ host: 'cli', dataDir, root: checkout, env });
      core.subscribe((event) => {
        if (event.type !== 'prompt.request') return;
        const r = event.request;
        const answer =
          r.kind === 'host-key'
            ? { accept: answers.hostKey ?? true }
            : r.kind === 'secret'
              ? answers.secret !== undefined
                ? { accept: true, value: answers.secret }
                : { accept: false }
              : { accept: true };
        setImmediate(() => void core.invoke('prompts.answer', { id: r.id, ...answer }).catch(() => undefined));
      });
      cores.push(core);
      return core;
    },
    async deploy(input, opts = {}) {
      const core = opts.core ?? world.core(opts.answers);
      const events: FleetEvent[] = [];
      const unsubscribe = core.subscribe((e) => events.push(e));
      try {
        const { jobId } = (await core.invoke(opts.command ?? 'deploy.start', input)) as { jobId: string };
        const job = await core.context.jobs.wait(jobId);
        const record = (await core.invoke('deploy.get', { id: jobId }).catch(() => undefined)) as DeployRecord | undefined;
        return { job, ...(record ? { record } : {}), events };
      } finally {
        unsubscribe();
      }
    },
    edit(file, from, to) {
      const full = path.join(checkout, file);
      const text = fs.readFileSync(full, 'utf8');
      if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
      fs.writeFileSync(full, text.replace(from, to));
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', `edit ${file}`);
    },
    git,
    connect(host) {
      return SshConnection.open({ host, home, appKnownHosts: path.join(dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
    },
    async stop() {
      await Promise.all(cores.map((c) => c.dispose()));
      await lab.stop();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
  return world;
}

/** The outcome of one target in a finished deploy job. */
export function outcomeOf(record: DeployRecord | undefined, target: string) {
  const outcome = record?.outcomes.find((o) => o.target === target);
  if (!outcome) throw new Error(`no outcome for ${target} in ${JSON.stringify(record)}`);
  return outcome;
}

export type { DeployResult };
