import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CoreContext } from '../../context';
import { assertNever, FleetError } from '../../contract';
import { flakeRefFor } from '../../homelab/nix-eval';
import type { JobContext } from '../../jobs/jobs';
import { nixEvalJson, runNix } from '../../nix/runner';
import { runProcess } from '../../process/run';
import { appendKnownHost, fingerprintSha256 } from '../../ssh/known-hosts';
import type { SshConnection } from '../../ssh/connection';
import { sshSessions } from '../../ssh/sessions';
import { formatBytes } from '../../../shared/units';
import { copyClosure } from '../copy-closure';
import { HostSession } from '../host-session';
import { ageRecipientOf } from '../../ssh/age-recipient';
import { layoutNeedsBytes } from './disk-fit';
import { installableDisks, type HardwareFacts } from './hardware-facts';
import { diskoDevices } from './hardware-files';
import { currentSystemScript, diskoRunScript, installIntoMntScript } from './install-scripts';
import type { InstallTarget } from './install-target';
import { openInstallConnection, readHardwareOver } from './read-hardware';

export type InstallStage = 'connect' | 'hardware' | 'confirm' | 'host-key' | 'build' | 'copy' | 'disko' | 'install' | 'reboot' | 'wait';

/** What `install.start` answers. */
export interface InstallResult {
  readonly system: string;
  readonly target: string;
  readonly disk: string;
  readonly toplevel: string;
  /** The installed system's new host key (ssh-ed25519 ...) and where it was recorded. */
  readonly hostKey: string;
  readonly hostKeyFingerprint: string;
  readonly ageRecipient: string;
  readonly knownHostsNames: readonly string[];
  readonly hostKeyFile: string;
  readonly hardware: HardwareFacts;
}

export interface InstallRequest {
  readonly system: string;
  /** The system's folder, relative to the checkout (systems/<name>). */
  readonly systemPath: string;
  readonly target: InstallTarget;
  readonly targetText: string;
  readonly disk?: string;
  readonly yes: boolean;
  readonly acceptNewHostKey: boolean;
  /** How long to wait for the installed system after the reboot. */
  readonly bootTimeoutMs?: number;
}

const stageNames: Readonly<Record<InstallStage, string>> = {
  connect: 'Connect',
  hardware: 'Read the hardware',
  confirm: 'Confirm the erase',
  'host-key': 'Make the new host key',
  build: 'Build the system and its disko script',
  copy: 'Copy them to the machine',
  disko: 'Partition, format and mount the disk',
  install: 'Install into /mnt',
  reboot: 'Reboot',
  wait: 'Wait for the installed system',
};
const stageOrder = Object.keys(stageNames) as InstallStage[];

/** The disk's name in disko.nix (the attribute under disko.devices.disk) and the device it names. */
function diskoDisk(root: string, systemPath: string): { readonly name: string; readonly device: string } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, systemPath, 'disko.nix'), 'utf8');
  } catch {
    throw new FleetError('not-found', `${systemPath} has no disko.nix: an install needs the disk layout (https://github.com/nix-community/disko).`);
  }
  const names = [...text.matchAll(/disko\.devices\.disk\.([A-Za-z0-9_-]+)\s*=/g), ...text.matchAll(/disk\s*=\s*\{\s*([A-Za-z0-9_-]+)\s*=/g)].map((m) => m[1] ?? '');
  const devices = diskoDevices(text);
  if (names.length !== 1 || devices.length !== 1) {
    throw new FleetError('invalid-input', `${systemPath}/disko.nix must describe exactly one disk for fleet install (found ${devices.length}).`);
  }
  return { name: names[0] ?? 'main', device: devices[0] ?? '' };
}

/** What is on the machine's disk while a stage runs, as the wizard and the CLI say it. */
export function machineState(stage: InstallStage, disk: string): string {
  switch (stage) {
    case 'connect':
    case 'hardware':
    case 'confirm':
    case 'host-key':
    case 'build':
    case 'copy':
      return `Nothing on the machine's disk has changed: cancelling now leaves ${disk} as it is.`;
    case 'disko':
      return `disko is erasing ${disk}: it is being partitioned, formatted and mounted under /mnt, and what was on it is gone.`;
    case 'install':
      return `${disk} is partitioned and formatted as disko.nix says and mounted under /mnt; the system is being copied into it and is not bootable until this step ends.`;
    case 'reboot':
      return `${disk} holds the installed system (its store, system profile, boot loader entry on the ESP) and its new host key; the machine is rebooting into it.`;
    case 'wait':
      return `${disk} holds the installed system and the machine rebooted; waiting for it to answer on its new host key.`;
    default:
      return assertNever(stage);
  }
}

/** `nix build --json` of installables, answering their out paths in order. */
async function build(root: string, attrs: readonly string[], job: JobContext, env: NodeJS.ProcessEnv): Promise<string[]> {
  const ref = flakeRefFor(root);
  const result = await runNix(['build', '--no-link', '--json', ...attrs.map((a) => `${ref}#${a}`)], {
    cwd: root,
    env,
    signal: job.signal,
    onStderrLine: (line) => job.log(line, 'stderr', 'build'),
  });
  if (result.code !== 0) throw new FleetError('build-failed', `Building the system failed:\n${result.stderr.trim().split('\n').slice(-8).join('\n')}`);
  const built = JSON.parse(result.stdout) as { outputs: { out: string } }[];
  return built.map((b) => b.outputs.out);
}

/**
 * Install a system onto a machine booted from an installer, as nixos-anywhere does: read
 * its hardware, confirm the erase of the disk by name, build the system and its disko
 * script here, copy both with the deploy's copy, run disko (partition, format, mount under
 * /mnt), install into /mnt (store, system profile, boot loader), make its new host key and
 * record it (known_hosts, the system's folder, its age recipient), reboot, and wait until
 * the installed system answers on that key. Cancelling stops before disko touches the disk;
 * once disko ran, errors say what state the disk is in.
 */
export async function runInstall(ctx: CoreContext, job: JobContext, request: InstallRequest): Promise<InstallResult> {
  const root = ctx.root();
  let stage: InstallStage = 'connect';
  let diskTouched: 'no' | 'partitioned' | 'installed' = 'no';
  const enter = (next: InstallStage): void => {
    job.throwIfCancelled();
    stage = next;
    const safeToCancel = stageOrder.indexOf(next) < stageOrder.indexOf('disko');
    job.progress({ fraction: stageOrder.indexOf(next) / stageOrder.length, label: stageNames[next], state: machineState(next, disk), safeToCancel });
    job.log(`== ${stageNames[next]}`, 'info', 'install');
  };
  const layout = diskoDisk(root, request.systemPath);
  const hostKeyFile = `${request.systemPath}/ssh_host_ed25519_key.pub`;
  let wroteKeyFile = false;
  let previousKeyFile: string | undefined;
  let connection: SshConnection | undefined;
  let disk = request.disk ?? layout.device;
  try {
    enter('connect');
    connection = await openInstallConnection(ctx, request.target, { jobId: job.id, signal: job.signal, acceptNewHostKey: request.acceptNewHostKey });
    const session = new HostSession(connection, { kind: 'root' });
    if (connection.user !== 'root') throw new FleetError('invalid-input', `Log in to the installer as root (it was ${connection.user}): disko and the install need it.`);

    enter('hardware');
    const hardware = await readHardwareOver(connection, job.signal);
    job.log(`${hardware.hostname}: ${hardware.nixSystem}, ${hardware.cpu.cores} cores, ${formatBytes(hardware.memoryBytes)}, ${hardware.bootMode.toUpperCase()}`, 'info', 'install');
    const candidates = installableDisks(hardware);
    const chosen = candidates.find((d) => d.device === disk || d.ids.some((id) => `/dev/disk/by-id/${id}` === disk));
    if (!chosen) {
      throw new FleetError('invalid-input', `${disk} is not a writable disk on ${request.targetText} (disks: ${candidates.map((d) => `${d.device} ${formatBytes(d.sizeBytes)}`).join(', ') || 'none'}).`, {
        hint: `Choose the disk with --disk, or point ${request.systemPath}/disko.nix at it.`,
      });
    }
    disk = chosen.device;
    // disko wipes before it partitions: a disk too small for the layout is refused while it is untouched.
    const sizes = await nixEvalJson<Record<string, string>>(`${flakeRefFor(root)}#nixosConfigurations.${request.system}.config.disko.devices.disk.${layout.name}.content.partitions`, {
      cwd: root,
      env: ctx.env,
      signal: job.signal,
      apply: 'ps: builtins.mapAttrs (_: p: p.size or "100%") ps',
    });
    const need = layoutNeedsBytes(sizes);
    if (need !== null && chosen.sizeBytes < need) {
      throw new FleetError('invalid-input', `${disk} (${formatBytes(chosen.sizeBytes)}) is too small for ${request.systemPath}/disko.nix: its partitions (${Object.entries(sizes).map(([name, size]) => `${name} ${size}`).join(', ')}) need at least ${formatBytes(need)}.`, {
        hint: 'Choose a larger disk with --disk, or make the partitions in disko.nix smaller.',
      });
    }

    enter('confirm');
    const erased = `${disk} (${formatBytes(chosen.sizeBytes)}${chosen.model ? `, ${chosen.model}` : ''}${chosen.partitions.length > 0 ? `, partitions ${chosen.partitions.map((p) => `${p.device}${p.fsType ? ` ${p.fsType}` : ''}`).join(', ')}` : ', no partitions'})`;
    job.log(`will erase ${erased} on ${request.targetText}`, 'info', 'install');
    if (!request.yes) {
      // Typed, not y/N (as nixos-anywhere and disk tools ask): the answer must name the disk.
      const answer = await ctx.prompts.ask(
        {
          kind: 'confirm',
          title: `Erase ${disk} on ${request.targetText}?`,
          message: `Everything on ${erased} will be erased and ${request.system} installed there. This cannot be undone.`,
          confirmText: disk,
          jobId: job.id,
        },
        { signal: job.signal },
      );
      if (!answer.accept) throw new FleetError('cancelled', `Not confirmed: ${disk} was not touched.`);
      if (answer.value !== disk) throw new FleetError('cancelled', `Not confirmed: the answer did not name ${disk}, so ${disk} was not touched.`);
    }

    enter('host-key');
    // The host key is made here, before the build (as for nixos-anywhere --extra-files), so its
    // age recipient is known before the first boot. Its public half goes into the checkout
    // unstaged: a git flake sees tracked files only, so the system built is the one the
    // checkout built before the install (its configurationRevision the commit, not "dirty"),
    // and the checkout still builds what the machine runs after it. The person commits it.
    const made = await makeHostKey(ctx, request.system);
    const hostKey = made.publicKey;
    const keyBlob = Buffer.from(hostKey.split(/\s+/)[1] ?? '', 'base64');
    const fingerprint = fingerprintSha256(keyBlob);
    previousKeyFile = fs.existsSync(path.join(root, hostKeyFile)) ? fs.readFileSync(path.join(root, hostKeyFile), 'utf8') : undefined;
    fs.writeFileSync(path.join(root, hostKeyFile), `${hostKey}\n`, { mode: 0o644 });
    wroteKeyFile = true;
    const ageRecipient = ageRecipientOf(hostKey);
    job.log(`new host key ${fingerprint} in ${hostKeyFile}, age recipient ${ageRecipient} (for .sops.yaml)`, 'info', 'install');

    enter('build');
    // One build each: nix build --json does not answer in the order the installables were given.
    const [toplevel] = await build(root, [`nixosConfigurations.${request.system}.config.system.build.toplevel`], job, ctx.env);
    const [diskoScript] = await build(root, [`nixosConfigurations.${request.system}.config.system.build.diskoScript`], job, ctx.env);
    if (!toplevel || !diskoScript) throw new FleetError('build-failed', 'nix build answered no store paths.');

    enter('copy');
    const copied = await copyClosure(session, [toplevel, diskoScript], {
      env: ctx.env,
      signal: job.signal,
      importAsRoot: true,
      log: (text) => job.log(text, 'info', 'copy'),
    });
    job.log(`copied ${copied.copiedPaths} paths (${formatBytes(copied.copiedBytes)})`, 'info', 'copy');

    enter('disko');
    // From here on the disk changes: cancelling no longer leaves it as it was.
    diskTouched = 'partitioned';
    const disko = await session.scriptAsRoot(diskoRunScript, [diskoScript, layout.name, disk], { onStdoutLine: (l) => job.log(l, 'stdout', 'disko'), onStderrLine: (l) => job.log(l, 'stderr', 'disko') });
    if (disko.code !== 0) throw new FleetError('disko-failed', `disko failed (exit ${disko.code}): ${disko.stderr.trim().split('\n').slice(-3).join(' ')}`);

    enter('install');
    const installed = await session.scriptAsRoot(installIntoMntScript, [toplevel, request.system, hostKey], {
      stdin: made.privateKey,
      onStdoutLine: (l) => job.log(l, 'stdout', 'install'),
      onStderrLine: (l) => job.log(l, 'stderr', 'install'),
    });
    if (installed.code !== 0) throw new FleetError('install-failed', `Installing into /mnt failed (exit ${installed.code}): ${installed.stderr.trim().split('\n').slice(-3).join(' ')}`);
    diskTouched = 'installed';
    // The known names of the machine now vouch for its new key: no "host key CHANGED" after the reboot.
    const names = [...new Set([request.target.host, connection.config.hostName, connection.config.alias].filter(Boolean))].map((n) =>
      request.target.port && request.target.port !== 22 ? `[${n}]:${request.target.port}` : n,
    );
    appendKnownHost(sshSessions(ctx).appKnownHosts, names, Buffer.from(hostKey.split(/\s+/)[1] ?? '', 'base64'));

    enter('reboot');
    await connection.exec(['reboot']).catch(() => undefined);
    connection.close();
    connection = undefined;

    enter('wait');
    await waitForInstalled(ctx, job, request, toplevel, request.bootTimeoutMs ?? 180_000);
    job.progress({ fraction: 1, label: 'Installed', state: `${disk} holds ${request.system}, and the machine runs it on its new host key.`, safeToCancel: false });
    return {
      system: request.system,
      target: request.targetText,
      disk,
      toplevel,
      hostKey,
      hostKeyFingerprint: fingerprint,
      ageRecipient,
      knownHostsNames: names,
      hostKeyFile,
      hardware,
    };
  } catch (error) {
    // Before the disk holds the system, the new key belongs to nothing: take it out of the checkout again.
    if (wroteKeyFile && diskTouched !== 'installed' && previousKeyFile !== undefined) {
      fs.writeFileSync(path.join(root, hostKeyFile), previousKeyFile);
    } else if (wroteKeyFile && diskTouched !== 'installed') {
      fs.rmSync(path.join(root, hostKeyFile), { force: true });
    }
    const state =
      diskTouched === 'no'
        ? `${disk} was not touched.`
        : diskTouched === 'partitioned'
          ? `${disk} was erased: disko ran (or started), so its partitions and filesystems may be new and incomplete, and nothing bootable is on it. Run the install again to start over.`
          : `${disk} holds the installed system (its store, system profile and boot entry), but the install did not finish at "${stageNames[stage]}".`;
    const base = error instanceof FleetError ? error : new FleetError('failed', (error as Error).message);
    throw new FleetError(base.code, `${base.message}\n${state}`, { ...(base.hint ? { hint: base.hint } : {}) });
  } finally {
    connection?.close();
  }
}

/** A new ed25519 host key made with ssh-keygen here; the private half only in memory once read. */
async function makeHostKey(ctx: CoreContext, system: string): Promise<{ readonly publicKey: string; readonly privateKey: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-hostkey-'));
  try {
    const file = path.join(dir, 'ssh_host_ed25519_key');
    const made = await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${system}`, '-f', file], { env: ctx.env });
    if (made.code !== 0) throw new FleetError('failed', `ssh-keygen failed: ${made.stderr.trim()}`);
    return { publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(), privateKey: fs.readFileSync(file, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Wait until the machine answers on its new host key and runs the installed system. */
async function waitForInstalled(ctx: CoreContext, job: JobContext, request: InstallRequest, toplevel: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    job.throwIfCancelled();
    try {
      // ask: false: a key nobody recorded is refused, never prompted for.
      const connection = await sshSessions(ctx).open(
        { host: request.target.host, user: request.target.user, ...(request.target.port ? { port: request.target.port } : {}) },
        { jobId: job.id, signal: job.signal, ask: false, connectTimeoutMs: 5000 },
      );
      try {
        const current = (await connection.script(currentSystemScript, [])).stdout.trim();
        if (current === toplevel) {
          job.log(`${request.targetText} is up, running ${toplevel}`, 'info', 'install');
          return;
        }
        last = `it runs ${current || 'no NixOS system yet (still the installer?)'}`;
      } finally {
        connection.close();
      }
    } catch (error) {
      if (error instanceof FleetError && error.code === 'cancelled') throw error;
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new FleetError('timeout', `${request.targetText} did not come back as the installed system within ${Math.round(timeoutMs / 1000)} s (${last}).`);
}
