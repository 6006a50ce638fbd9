import * as fs from 'node:fs';
import * as os from 'node:os';
import type { DeviceClient } from '@devicefarmer/adbkit';
import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import type { TargetStatus } from '../jobs/types';
import type { AdbService } from './adb-service';
import { readDeviceFacts } from './device-facts';
import { deviceShell } from './device-shell';
import { loginPublicKey } from '../ssh/auth';
import { openPhoneSession } from './phone-session';
import { readAppScreen, type AppScreen } from './phone-ui';
import { pushStream } from './push-source';
import { formatBytes } from '../../shared/units';
import { typedSshAccessCommand } from './ssh-access';
import { proposeSshdModule } from './sshd-module';
import type { SetupReport, SetupStep, SetupStepId } from './types';

export interface SetupOptions {
  readonly serial: string;
  readonly droid: string;
  readonly apkPath?: string;
  readonly typeWithoutAsking?: boolean;
  readonly user?: string;
  readonly identityFile?: string;
  /** How long the first-run bootstrap may take (it downloads ~100 MB on a real phone). */
  readonly bootstrapTimeoutMs?: number;
}

const appId = 'com.termux.nix';
const appActivity = `${appId}/com.termux.app.TermuxActivity`;

const titles: Readonly<Record<SetupStepId, string>> = {
  abi: 'Phone is arm64-v8a',
  installed: 'Nix-on-Droid installed',
  bootstrapped: 'First-run bootstrap done',
  ssh: 'SSH access (sshd on 8022, your key)',
  connection: 'Connection test over adb',
  link: 'Linked to the droid',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The phone setup wizard as a job. Each step first checks the phone and only acts when the
 * check fails, so running it again resumes where it stopped. Typing into the phone asks
 * for consent first (unless typeWithoutAsking).
 */
export async function setupPhone(ctx: CoreContext, adb: AdbService, options: SetupOptions, job: JobContext): Promise<SetupReport> {
  const steps = new Map<SetupStepId, SetupStep>((Object.keys(titles) as SetupStepId[]).map((id) => [id, { id, title: titles[id], status: 'pending' }]));
  const set = (id: SetupStepId, status: SetupStep['status'], detail?: string) => {
    steps.set(id, { id, title: titles[id], status, ...(detail ? { detail } : {}) });
    if (detail) job.log(`${titles[id]}: ${detail}`, status === 'failed' ? 'error' : 'info', options.serial);
    const list = [...steps.values()];
    const finished = list.filter((s) => s.status !== 'pending').length;
    job.progress({
      fraction: finished / list.length,
      label: `Setting up ${options.serial}`,
      targets: list.map((s) => ({ target: s.title, status: stepStatus(s.status), ...(s.detail ? { message: s.detail } : {}) })),
    });
  };
  const report = (): SetupReport => {
    const list = [...steps.values()];
    return { serial: options.serial, droid: options.droid, steps: list, ready: list.every((s) => s.status === 'done' || s.status === 'fixed' || s.status === 'skipped') };
  };
  const fail = (id: SetupStepId, message: string, hint?: string): never => {
    set(id, 'failed', message);
    throw new FleetError('setup-failed', message, hint ? { hint } : {});
  };
  const consent = async (message: string) => {
    if (options.typeWithoutAsking) return true;
    const answer = await ctx.prompts.ask({ kind: 'confirm', title: 'Type on the phone?', message, jobId: job.id }, { signal: job.signal });
    return answer.accept;
  };

  const device = await adb.usableDevice(options.serial);
  const login = { ...(options.user ? { user: options.user } : {}), ...(options.identityFile ? { identityFile: options.identityFile } : {}) };
  const route = { kind: 'adb' as const, serial: options.serial };

  // 1. ABI
  const facts = await readDeviceFacts(device, job.signal);
  const abis = facts.abis ?? (facts.abi ? [facts.abi] : []);
  if (!abis.includes('arm64-v8a')) {
    fail('abi', `This device is ${abis.join(', ') || 'of unknown ABI'}; Nix-on-Droid runs on arm64-v8a (aarch64) phones only.`, 'An x86 emulator cannot run Nix-on-Droid; use a real arm64 phone or an arm64 system image.');
  }
  set('abi', 'done', `${facts.manufacturer ?? ''} ${facts.model ?? ''}, Android ${facts.androidVersion ?? '?'}, ${facts.abi}`.trim());

  // 2. Installed
  if ((await deviceShell(device, ['pm', 'path', appId], { signal: job.signal })).code === 0) set('installed', 'done', `${appId} is installed.`);
  else if (!options.apkPath) {
    fail('installed', 'Nix-on-Droid is not installed on the phone.', 'Install it from F-Droid, or pick its APK file in the wizard (--apk FILE) and run the setup again.');
  } else await installApk(device, options.apkPath, job, (detail) => set('installed', 'fixed', detail));

  // 3 + 4. A phone that already answers SSH is bootstrapped and reachable.
  const reachable = await trySsh(ctx, adb, route, login, job);
  if (reachable) {
    set('bootstrapped', 'done', 'Nix-on-Droid answers over SSH.');
    set('ssh', 'done', 'sshd answers on 8022 and accepts your key.');
  } else {
    await deviceShell(device, ['am', 'start', '-n', appActivity], { signal: job.signal });
    const screen = await waitScreen(device, job, (s) => s.kind !== 'other', 15_000);
    if (screen.kind === 'terminal') set('bootstrapped', 'done', 'Nix-on-Droid opens to its terminal.');
    else {
      if (!(await consent('Nix-on-Droid has not finished its first-run setup. Type the bootstrap answers on the phone (default bootstrap URL, flakes: yes)? Keep the phone unlocked and the app in front.'))) {
        fail('bootstrapped', 'The first-run bootstrap is not done and typing on the phone was declined.', 'Open Nix-on-Droid on the phone and complete its setup, then run the setup again.');
      }
      await bootstrap(device, job, screen, options.bootstrapTimeoutMs ?? 600_000);
      set('bootstrapped', 'fixed', 'Bootstrapped Nix-on-Droid (flakes).');
    }
    const publicKey = loginPublicKey(ctx.env.HOME ?? os.homedir(), options.identityFile);
    if (!publicKey) fail('ssh', 'No SSH key found to authorize on the phone.', 'Create one with `ssh-keygen -t ed25519`, or name one with --identity.');
    if (!(await consent('Type one command into the Nix-on-Droid terminal that adds your public SSH key and starts sshd on port 8022?'))) {
      fail('ssh', 'Typing the SSH access command was declined.', 'Start sshd in Nix-on-Droid yourself (port 8022, your key in ~/.ssh/authorized_keys), then run the setup again.');
    }
    await deviceShell(device, ['input', 'text', typedSshAccessCommand(publicKey as string)], { signal: job.signal });
    await deviceShell(device, ['input', 'keyevent', 'KEYCODE_ENTER'], { signal: job.signal });
    const deadline = Date.now() + 60_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      job.throwIfCancelled();
      await sleep(1000);
      ok = await trySsh(ctx, adb, route, login, job);
    }
    if (!ok) fail('ssh', 'sshd did not come up on port 8022 within 60 s after typing the command.', 'Look at the Nix-on-Droid terminal on the phone for an error.');
    set('ssh', 'fixed', 'Authorized your key and started sshd on 8022.');
  }

  // Offer the sshd module so the access survives the next deploy.
  const edit = proposeSshdModule(ctx.root(), options.droid);
  if (edit) {
    const answer = await ctx.prompts.ask(
      { kind: 'confirm', title: `Add sshd to droids/${options.droid}?`, message: `The droid configuration does not start sshd. Add the homelab's sshd module?\n\n${edit.diff}`, jobId: job.id },
      { signal: job.signal },
    );
    if (answer.accept) {
      fs.writeFileSync(edit.file, edit.next);
      job.log(`Added homelab.sshd.enable to ${edit.relative}.`, 'info', options.serial);
    }
  }

  // 5. Connection test: SSH over the adb stream, and nix-on-droid present.
  const session = await openPhoneSession(ctx, adb, route, login, { signal: job.signal, jobId: job.id });
  try {
    const probe = await session.run(['sh', '-c', 'command -v nix-on-droid && nix --version'], job.signal);
    if (probe.code !== 0) fail('connection', `SSH works but nix-on-droid was not found: ${(probe.stderr || probe.stdout).trim()}`);
    set('connection', 'done', `SSH over adb works; ${probe.stdout.trim().split('\n').pop() ?? ''}`);
  } finally {
    session.close();
  }

  // 6. Link
  ctx.settings.update((s) => ({ ...s, droidLinks: { ...s.droidLinks, [options.serial]: options.droid } }));
  adb.relinked();
  set('link', 'done', `${options.serial} deploys droids/${options.droid}.`);
  return report();
}

function stepStatus(status: SetupStep['status']): TargetStatus {
  switch (status) {
    case 'done':
    case 'fixed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
    case 'pending':
      return 'pending';
  }
}

async function trySsh(ctx: CoreContext, adb: AdbService, route: { kind: 'adb'; serial: string }, login: { user?: string; identityFile?: string }, job: JobContext): Promise<boolean> {
  try {
    const session = await openPhoneSession(ctx, adb, route, login, { signal: job.signal, jobId: job.id });
    session.close();
    return true;
  } catch (error) {
    if (error instanceof FleetError && ['host-key-changed', 'host-key-rejected', 'cancelled'].includes(error.code)) throw error;
    return false;
  }
}

async function dumpScreen(device: DeviceClient, job: JobContext): Promise<AppScreen> {
  const result = await deviceShell(device, ['uiautomator', 'dump', '/dev/tty'], { signal: job.signal, timeoutMs: 20_000 });
  return readAppScreen(result.output);
}

async function waitScreen(device: DeviceClient, job: JobContext, done: (screen: AppScreen) => boolean, timeoutMs: number): Promise<AppScreen> {
  const deadline = Date.now() + timeoutMs;
  let screen = await dumpScreen(device, job);
  while (!done(screen) && Date.now() < deadline) {
    job.throwIfCancelled();
    await sleep(500);
    screen = await dumpScreen(device, job);
  }
  return screen;
}

/** Walk the first-run screens: accept the default bootstrap URL, answer "flakes: y", wait for the prompt. */
async function bootstrap(device: DeviceClient, job: JobContext, first: AppScreen, timeoutMs: number): Promise<AppScreen> {
  let screen = first;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    job.throwIfCancelled();
    switch (screen.kind) {
      case 'url-dialog':
        job.log('Accepting the default bootstrap location...', 'info');
        if (screen.ok) await deviceShell(device, ['input', 'tap', String(screen.ok.x), String(screen.ok.y)], { signal: job.signal });
        else await deviceShell(device, ['input', 'keyevent', 'KEYCODE_ENTER'], { signal: job.signal });
        break;
      case 'flakes-question':
        job.log('Answering "set it up with flakes?" with y...', 'info');
        await deviceShell(device, ['input', 'text', 'y'], { signal: job.signal });
        await deviceShell(device, ['input', 'keyevent', 'KEYCODE_ENTER'], { signal: job.signal });
        break;
      case 'terminal':
        if (screen.atPrompt) return screen;
        break;
      case 'other':
        await deviceShell(device, ['am', 'start', '-n', appActivity], { signal: job.signal });
        break;
      case 'installing':
        break;
    }
    await sleep(700);
    screen = await dumpScreen(device, job);
  }
  throw new FleetError('setup-failed', `Nix-on-Droid's bootstrap did not finish within ${Math.round(timeoutMs / 1000)} s.`, {
    hint: 'Look at the phone: the bootstrap downloads about 100 MB. Run the setup again to resume.',
  });
}

async function installApk(device: DeviceClient, apkPath: string, job: JobContext, done: (detail: string) => void): Promise<void> {
  let size: number;
  try {
    size = fs.statSync(apkPath).size;
  } catch {
    throw new FleetError('invalid-input', `Cannot read the APK ${apkPath}.`);
  }
  const remote = '/data/local/tmp/fleet-nix-on-droid.apk';
  job.log(`Sending ${apkPath} (${formatBytes(size)}) to the phone...`, 'info');
  await pushStream(device, fs.createReadStream(apkPath), remote, {
    signal: job.signal,
    onBytes: (bytes) => job.progress({ label: 'Installing Nix-on-Droid', fraction: Math.min(1, bytes / Math.max(1, size)) * 0.9 }),
  });
  const result = await deviceShell(device, ['pm', 'install', '-r', remote], { signal: job.signal, timeoutMs: 120_000 });
  await deviceShell(device, ['rm', '-f', remote]).catch(() => undefined);
  if (result.code !== 0 || !/Success/.test(result.output)) {
    throw new FleetError('install-failed', `Installing the APK failed: ${result.output.trim()}`, { hint: 'Pick the Nix-on-Droid APK (com.termux.nix) for arm64-v8a.' });
  }
  done(`Installed ${apkPath}.`);
}
