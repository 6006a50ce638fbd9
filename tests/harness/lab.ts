/**
 * `npm run lab -- <command>`: the test fleet for people. Starts NixOS test hosts that keep
 * running in the background, puts them into faults, and removes everything again.
 * Needs root (network and mount namespaces). See tests/harness/README.md.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { joinLan, openLab, readLabRecord, reapStaleLabs, startHosts, stopLab, type Lab, type LabHost } from './hosts/index.js';
import { dropLeakGuardIfUnused, removeLab } from './hosts/cleanup.js';
import { listClaims, ownerAlive, withLock } from './hosts/registry.js';
import { execInHost, writeHostFile } from './hosts/host.js';
import { run } from './hosts/run.js';
import { openInstaller, startInstaller } from './hosts/installer.js';
import { parseSuite, toolchainCommand, TOOLCHAIN_USAGE } from './toolchain/index.js';

const DEFAULT_STATE = '/tmp/fleet-lab';
const here = path.dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run lab -- <command> [options]

  up [N] [--store-size 64m] [--state DIR]   start N hosts (default 4), replacing a running lab; the hosts
     [--no-lan]                            share a LAN and reach each other by name (--no-lan: they do not)
     [--toolchain trixie|sid]              hosts run sshd, nix and sessions from that toolchain
                                           (sudo password for the deploy user: FLEET_LAB_SUDO_PASSWORD)
  down [--all]                             stop the lab (--all: every lab, also test labs) and the phone
  status                                   list labs and hosts
  cut HOST [--unreachable] | restore HOST  take the host off the network (connects time out, or fail
                                           at once with --unreachable) / bring it back
  kill-sshd HOST | start-sshd HOST         crash sshd (sessions too) / start it again
  break-next-activation HOST | disarm HOST the next activation cuts the link until the system changes back
  fill HOST [--free 1m] | unfill HOST      fill the disk under /nix, 1m left by default / free it
  rekey HOST [--trust]                     new host key (--trust: also write it to known_hosts)
  slow HOST RATE [DELAY] | fast HOST       e.g. slow zephyrus 20mbit 50ms (DELAY is round trip) / full speed
  reboot HOST | power-on HOST              reboot it (a few seconds, boots the boot default) / power on a host left off
  boot-previous HOST | never-returns HOST  the next reboot boots the previous generation / leaves it off
  come-back-late HOST SECONDS              the next reboot leaves it dark that long, then it boots
  ignore-reboot HOST                       the next reboot request is ignored: the host stays up
  exec HOST -- CMD...                      run CMD inside the host as root, without ssh
  installer up [NAME] [--disk-size 1g] [--disks 2]
                                           an installer host NAME (default installer) with blank loop
                                           disks for fleet install, in its own state dir
                                           (default /tmp/fleet-lab-NAME); reboot boots the disks;
                                           host commands (exec NAME ...) find it by name
  installer down [NAME]                    stop it, detach its loop devices, remove its disk files
  phone ...                                the emulated phone (tests/harness/phone)
${TOOLCHAIN_USAGE}

options: --state DIR (default ${DEFAULT_STATE})`;

interface Parsed {
  readonly positional: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
  readonly rest: readonly string[];
}

const VALUED = new Set(['--state', '--store-size', '--free', '--toolchain', '--disk-size', '--disks']);

function parse(args: readonly string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  let rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      rest = args.slice(i + 1);
      break;
    }
    if (VALUED.has(arg)) {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags.set(arg, value);
    } else if (arg.startsWith('--')) flags.set(arg, true);
    else positional.push(arg);
  }
  return { positional, flags, rest };
}

/** "1m", "512k", "1048576" -> bytes. */
function parseSize(text: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  if (!match) throw new Error(`size "${text}" is not like 512k, 1m or 2g`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}

/** "50ms", "0.2s", "50" -> milliseconds. */
function parseDelay(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!match) throw new Error(`delay "${text}" is not like 50ms or 0.2s`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

async function phoneModule(): Promise<Record<string, unknown> | null> {
  const file = path.join(here, 'phone', 'index.ts');
  if (!(await access(file).then(() => true, () => false))) return null;
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function printLab(lab: Lab, seconds: number): void {
  const lines = [
    `Started ${lab.hosts.length} lab hosts in ${seconds.toFixed(1)} s.`,
    `state: ${lab.stateDir} (slot ${lab.slot})`,
    `ssh_config: ${lab.sshConfigPath}`,
    `known_hosts: ${lab.knownHostsPath}`,
    `identity: ${lab.identityFile}`,
    '',
    ...lab.hosts.map((host) => `  ${host.name.padEnd(12)} ${host.address.padEnd(13)} root, or ${host.deployUser} with sudo${host.toolchain ? `  (sshd, nix: ${host.toolchain.suite} toolchain)` : ''}`),
    '',
    'Try:  ssh -F ' + lab.sshConfigPath + ' ' + (lab.hosts[0]?.name ?? ''),
    'Point the app at the lab: put this line at the top of ~/.ssh/config (before any Host line):',
    `  Include ${lab.sshConfigPath}`,
    `(the fragment names its own known_hosts; copy ${lab.knownHostsPath} into ~/.ssh/known_hosts if your client ignores UserKnownHostsFile)`,
    'Stop everything with: npm run lab -- down',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function up(parsed: Parsed, stateDir: string): Promise<number> {
  const count = Number(parsed.positional[1] ?? 4);
  if (!Number.isInteger(count) || count < 1) throw new Error(`"${parsed.positional[1] ?? ''}" is not a number of hosts`);
  const previous = await readLabRecord(stateDir);
  if (previous) await stopLab(previous);
  const started = Date.now();
  const storeSize = parsed.flags.get('--store-size');
  const toolchain = parsed.flags.get('--toolchain');
  const lab = await startHosts({
    count,
    stateDir,
    detached: true,
    storeSize: typeof storeSize === 'string' ? storeSize : undefined,
    ...(typeof toolchain === 'string' ? { toolchain: parseSuite(toolchain) } : {}),
    sudoPassword: process.env.FLEET_LAB_SUDO_PASSWORD || undefined,
  });
  // A homelab's machines reach each other by name (a build host copies straight to its
  // target, a host substitutes from the cache host): the hand-run lab is one LAN too.
  if (!parsed.flags.has('--no-lan')) {
    await joinLan(lab.record);
    // ... and root on each host has a key the others accept (the lab's own), as a build host
    // that copies to its targets has, so the hand-run lab needs no ssh-agent for that.
    const key = await readFile(lab.record.identityFile, 'utf8');
    for (const host of lab.record.hosts) {
      await execInHost(host, ['mkdir', '-p', '-m', '700', '/root/.ssh']);
      await writeHostFile(host, '/root/.ssh/id_ed25519', key, 0o600);
    }
  }
  printLab(lab, (Date.now() - started) / 1000);
  return 0;
}

async function down(parsed: Parsed, stateDir: string): Promise<number> {
  const record = await readLabRecord(stateDir);
  if (record) await stopLab(record);
  if (parsed.flags.has('--all')) {
    for (const claim of await listClaims()) await removeLab(claim.slot, claim.stateDir);
  }
  await reapStaleLabs();
  await dropLeakGuardIfUnused();
  try {
    const phone = await phoneModule();
    if (phone && typeof phone.downPhones === 'function') await (phone.downPhones as () => Promise<void>)();
  } catch (error) {
    // The hosts are gone either way; say what is left instead of hiding it.
    process.stderr.write(`lab: could not stop the emulated phone: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.stdout.write(record ? `Stopped the lab in ${stateDir}.\n` : `No lab in ${stateDir}; cleared stale lab state.\n`);
  return 0;
}

/** `installer up|down [NAME]`: the installer host of tests/harness/hosts/installer.ts, detached. */
async function installerCommand(parsed: Parsed): Promise<number> {
  const action = parsed.positional[1];
  const name = parsed.positional[2] ?? 'installer';
  const state = parsed.flags.get('--state');
  const stateDir = path.resolve(typeof state === 'string' ? state : `${DEFAULT_STATE}-${name}`);
  if (action === 'down') {
    const record = await readLabRecord(stateDir);
    if (record) await (await openInstaller(stateDir, name)).stop();
    process.stdout.write(record ? `Stopped the installer in ${stateDir}; its loop devices are detached.\n` : `No installer in ${stateDir}.\n`);
    return 0;
  }
  if (action !== 'up') throw new Error(`usage: installer up [NAME] [--disk-size 1g] [--disks 2] | installer down [NAME]`);
  const previous = await readLabRecord(stateDir);
  if (previous) await (await openInstaller(stateDir, name)).stop();
  const size = parsed.flags.get('--disk-size');
  const count = parsed.flags.get('--disks');
  if (count !== undefined && count !== '1' && count !== '2') throw new Error('--disks is 1 or 2');
  const installer = await startInstaller({ name, stateDir, detached: true, ...(typeof size === 'string' ? { diskSize: size } : {}), disks: count === '2' ? 2 : 1 });
  const host = installer.host;
  const lines = [
    `Installer ${host.name} at ${host.address}: root login by key, temporary host key ${host.hostKeyFingerprint}`,
    ...installer.disks.map((d) => `  blank disk ${d.device} (${Math.round(d.sizeBytes / 1024 ** 2)} MiB; ${d.loop} on this machine, ${d.file})`),
    installer.vfat === 'kernel' ? '  ESP (vfat): mounted by the kernel' : '  ESP (vfat): this kernel has no vfat; mounted with fusefat over FUSE (EMULATION, hosts/installer-esp.ts)',
    `ssh_config: ${installer.lab.sshConfigPath}  (Include it at the top of ~/.ssh/config)`,
    `known_hosts: ${installer.lab.knownHostsPath}`,
    `identity: ${installer.lab.identityFile}`,
    `Try:  fleet install docker-node --to ${host.name}   (docker-node's disko.nix names ${installer.disks[0]?.device ?? ''})`,
    `Stop with: npm run lab -- installer down ${name}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function status(): Promise<number> {
  const claims = await listClaims();
  if (claims.length === 0) process.stdout.write('No labs running.\n');
  for (const claim of claims) {
    const owner = claim.ownerPid === null ? 'detached' : `process ${claim.ownerPid}${ownerAlive(claim) ? '' : ' (dead: stale)'}`;
    process.stdout.write(`lab slot ${claim.slot}  ${claim.stateDir}  ${owner}\n`);
    const record = await readLabRecord(claim.stateDir);
    if (!record) continue;
    const lab = await openLab(claim.stateDir);
    for (const host of lab.hosts) {
      const link = await run('ip', ['-o', 'link', 'show', host.rootVeth]);
      const linkUp = link.stdout.includes('state UP');
      const system = await host.currentSystem().catch(() => null);
      const activation = await host.activationBreakState();
      const power = await host.powerState();
      process.stdout.write(
        `  ${host.name.padEnd(12)} ${host.address.padEnd(13)} link ${linkUp ? 'up' : 'DOWN'}  ${system ?? '(no system installed)'}${activation === 'none' ? '' : `  activation-break: ${activation}`}${power === 'up' ? '' : `  power: ${power}`}${host.toolchain ? `  toolchain: ${host.toolchain.suite}` : ''}\n`,
      );
    }
  }
  return 0;
}

/**
 * The lab a host command means without --state: the default lab when it has that host, else
 * the installer of that name (`installer up NAME` keeps it in its own state dir).
 */
async function labDirOf(name: string, stateDir: string, explicit: boolean): Promise<string> {
  if (explicit || (await readLabRecord(stateDir))?.hosts.some((h) => h.name === name)) return stateDir;
  const installer = path.resolve(`${DEFAULT_STATE}-${name}`);
  return (await readLabRecord(installer))?.hosts.some((h) => h.name === name) ? installer : stateDir;
}

async function hostFault(command: string, parsed: Parsed, stateDir: string, explicitState: boolean): Promise<number> {
  const name = parsed.positional[1];
  if (!name) throw new Error(`${command} needs a host name\n\n${USAGE}`);
  const lab = await openLab(await labDirOf(name, stateDir, explicitState));
  const host: LabHost = lab.host(name);
  switch (command) {
    case 'cut':
      await host.cutNetwork(parsed.flags.has('--unreachable') ? 'unreachable' : 'drop');
      break;
    case 'restore':
      await host.restoreNetwork();
      break;
    case 'kill-sshd':
      await host.killSshd();
      break;
    case 'start-sshd':
      await host.startSshd();
      break;
    case 'break-next-activation':
      await host.breakNextActivation();
      break;
    case 'disarm':
      await host.disarmActivationBreak();
      break;
    case 'fill': {
      const free = parsed.flags.get('--free');
      await host.fillStore(typeof free === 'string' ? { freeBytes: parseSize(free) } : {});
      break;
    }
    case 'unfill':
      await host.freeStore();
      break;
    case 'rekey':
      await host.changeHostKey();
      if (parsed.flags.has('--trust')) await lab.writeClientFiles();
      process.stdout.write(`${host.name} now has host key ${host.hostKeyFingerprint}\n`);
      break;
    case 'slow': {
      const [rate, delay] = [parsed.positional[2], parsed.positional[3]];
      if (!rate) throw new Error('slow needs a rate, e.g. 20mbit (or - for no rate limit)');
      await host.slowLink({ rate: rate === '-' ? undefined : rate, delayMs: delay ? parseDelay(delay) : 0 });
      break;
    }
    case 'fast':
      await host.restoreLinkSpeed();
      break;
    case 'reboot':
      await host.reboot();
      break;
    case 'power-on':
      await host.powerOn();
      break;
    case 'boot-previous':
      await host.bootPreviousGenerationNextTime();
      break;
    case 'never-returns':
      await host.neverComeBack();
      break;
    case 'ignore-reboot':
      await host.ignoreNextReboot();
      break;
    case 'come-back-late': {
      const seconds = Number(parsed.positional[2]);
      if (!Number.isInteger(seconds) || seconds < 1) throw new Error('come-back-late needs a whole number of seconds, e.g. come-back-late moonlight 40');
      await host.comeBackLate(seconds);
      break;
    }
    case 'exec': {
      const result = await host.exec(parsed.rest);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      return result.code;
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
  if (command !== 'rekey') process.stdout.write(`${command} ${host.name}: done\n`);
  return 0;
}

async function main(args: readonly string[]): Promise<number> {
  const command = args[0];
  if (command === 'phone') {
    const phone = await phoneModule();
    if (!phone || typeof phone.phoneCommand !== 'function') throw new Error('the emulated phone (tests/harness/phone) is not available yet');
    return (phone.phoneCommand as (rest: string[]) => Promise<number>)(args.slice(1));
  }
  const parsed = parse(args);
  const state = parsed.flags.get('--state');
  const stateDir = path.resolve(typeof state === 'string' ? state : DEFAULT_STATE);
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network and mount namespaces)');
  switch (command) {
    case 'toolchain':
      return toolchainCommand(parsed.positional.slice(1));
    case 'up':
      return withLock('cli', () => up(parsed, stateDir));
    case 'down':
      return withLock('cli', () => down(parsed, stateDir));
    case 'status':
      return status();
    case 'installer':
      return withLock('cli', () => installerCommand(parsed));
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      return hostFault(command, parsed, stateDir, typeof state === 'string');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

