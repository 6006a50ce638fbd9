/**
 * The emulated phone (tests/harness/phone) against the real adb server, adbkit, ssh2 and nix:
 * an EMULATION of an Android phone with Nix-on-Droid, not a real device.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, cp, writeFile, mkdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { Adb } from '@devicefarmer/adbkit';
import { Client as SshClient } from 'ssh2';
import { startPhone, downPhones, emulatedApk, APP_ACTIVITY, FLAKES_QUESTION, PROMPT, PHONES_DIR, type Phone } from '../harness/phone/index.js';

const run = promisify(execFile);
const FLAKE = join(import.meta.dirname, '../../flake');
const adb = Adb.createClient();

let work = '';
let privateKey = '';
let publicKey = '';

async function adbDevices(): Promise<string> {
  return (await run('adb', ['devices'])).stdout;
}

async function shell(serial: string, command: string | string[]): Promise<string> {
  const stream = await adb.getDevice(serial).shell(command);
  return (await Adb.util.readAll(stream)).toString();
}

async function waitForScreen(serial: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const xml = await shell(serial, 'uiautomator dump /dev/tty');
    if (xml.includes(text)) return xml;
    if (Date.now() > deadline) throw new Error(`"${text}" did not appear on the emulated phone's screen:\n${xml}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Android's `input text` argument: spaces as %s (one argument, no spaces allowed). */
function typed(text: string): string[] {
  return ['input', 'text', text.replace(/ /g, '%s')];
}

/** ssh2 over an adbkit openTcp(8022) stream: the phone's sshd, no port on this machine. */
async function sshOverAdb(serial: string, username = 'nix-on-droid'): Promise<SshClient> {
  const socket = (await adb.getDevice(serial).openTcp(8022)) as Duplex;
  const client = new SshClient();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve()).once('error', reject);
    client.connect({ sock: socket, username, privateKey, readyTimeout: 20_000 });
  });
  return client;
}

/**
 * Waits for an adbkit transfer to finish; returns its error or null. adbkit emits a push's error
 * before 'end' but a pull's after it (the sync session ends with the FAIL), so wait a little.
 */
function settle(transfer: NodeJS.EventEmitter & { resume?: () => unknown }): Promise<Error | null> {
  return new Promise((resolve) => {
    transfer.on('error', (error: Error) => resolve(error));
    transfer.on('end', () => setTimeout(() => resolve(null), 300));
    transfer.resume?.();
  });
}

/** Is the process gone (or a zombie nobody reaped yet)? */
function gone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || / Z /.test(readFileSync(stat, 'utf8'));
}

function sshExec(client: SshClient, command: string, stdin?: Readable): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let output = '';
      channel.on('data', (d: Buffer) => { output += d.toString(); });
      channel.stderr.on('data', (d: Buffer) => { output += d.toString(); });
      channel.on('close', (code: number | null) => resolve({ code: code ?? -1, output }));
      if (stdin) stdin.pipe(channel); else channel.end();
    });
  });
}

beforeAll(async () => {
  await downPhones({ lab: false });
  work = await mkdtemp(join(tmpdir(), 'phone-emulation-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-admin', '-f', join(work, 'id_ed25519')]);
  privateKey = readFileSync(join(work, 'id_ed25519'), 'utf8');
  publicKey = readFileSync(join(work, 'id_ed25519.pub'), 'utf8').trim();
  await run('adb', ['start-server']);
});

afterAll(async () => {
  await downPhones({ lab: false });
  if (work) await rm(work, { recursive: true, force: true });
});

describe('emulated phone, ready scenario (sshd on 8022)', () => {
  let phone: Phone;
  beforeAll(async () => { phone = await startPhone({ scenario: 'ready', authorizedKey: publicKey, userName: 'soriphoono' }); });

  test('adb devices lists the emulated phone as a device', async () => {
    expect(phone.serial).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await adbDevices()).toMatch(new RegExp(`^${phone.serial.replace(/\./g, '\\.')}\\s+device$`, 'm'));
    const listed = await adb.listDevices();
    expect(listed.find((d: { id: string }) => d.id === phone.serial)?.type).toBe('device');
  });

  test('adbkit getProperties reports arm64-v8a, model and Android version; dumpsys battery answers', async () => {
    const props = await adb.getDevice(phone.serial).getProperties();
    expect(props['ro.product.cpu.abi']).toBe('arm64-v8a');
    expect(props['ro.product.model']).toBe('Pixel 6');
    expect(props['ro.build.version.release']).toBe('13');
    expect(props['ro.build.version.sdk']).toBe('33');
    expect(await shell(phone.serial, 'dumpsys battery')).toMatch(/^ {2}level: \d+$/m);
    expect(await adb.getDevice(phone.serial).getPackages()).toContain('com.termux.nix');
  });

  test('adbkit shell runs as the shell user; the app is private and run-as fails as on a real phone', async () => {
    expect(await shell(phone.serial, 'id -u; echo $HOME')).toBe('2000\n/\n');
    expect(await shell(phone.serial, 'ls /data/data/com.termux.nix 2>&1; echo "rc=$?"')).toMatch(/Permission denied\nrc=2\n$/);
    expect(await shell(phone.serial, ['run-as', 'com.termux.nix', 'id'])).toBe('run-as: package not debuggable: com.termux.nix\n');
    // Plain shell: has no exit status: the output is all there is.
    expect(await shell(phone.serial, 'false; echo "exit=$?"')).toBe('exit=1\n');
  });

  test('adbkit push / stat / readdir / pull round-trip through sync:, errors as FAIL messages', async () => {
    const device = adb.getDevice(phone.serial);
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 'nix-on-droid ');
    // A byte stream (not Readable.from's object mode): adbkit then sends DATA of at most 64 KiB.
    const transfer = await device.push(Readable.from([payload], { objectMode: false }), '/data/local/tmp/dir/payload.bin', 0o640);
    expect(await settle(transfer)).toBeNull();
    const stats = await device.stat('/data/local/tmp/dir/payload.bin');
    expect(stats.size).toBe(payload.length);
    expect(stats.mode & 0o777).toBe(0o640);
    const sync = await device.syncService();
    expect(Number((await sync.sta2('/data/local/tmp/dir/payload.bin')).size)).toBe(payload.length);
    sync.end();
    const names = (await device.readdir('/data/local/tmp/dir')).map((e: { name: string }) => e.name);
    expect(names).toContain('payload.bin');
    const pulled = await device.pull('/data/local/tmp/dir/payload.bin');
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => { pulled.on('data', (c: Buffer) => chunks.push(c)); pulled.on('end', resolve); pulled.on('error', reject); });
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(await shell(phone.serial, 'stat -c %u /data/local/tmp/dir/payload.bin')).toBe('2000\n');

    const denied = await device.push(Readable.from([Buffer.from('x')]), '/data/data/com.termux.nix/x', 0o644);
    expect((await settle(denied))?.message).toBe("Failure: 'couldn't create file: Permission denied'");
    // As adbd: a DATA message above 64 KiB (what adbkit sends for an object-mode stream) fails.
    const oversize = await device.push(Readable.from([Buffer.alloc(100_000)]), '/data/local/tmp/oversize.bin');
    expect((await settle(oversize))?.message).toBe("Failure: 'oversize data message'");
    const missing = await device.pull('/data/local/tmp/absent');
    expect((await settle(missing))?.message).toMatch(/No such file or directory/);
  });

  test('adb push / pull (the real adb client) work against the emulated phone', async () => {
    await writeFile(join(work, 'hello.txt'), 'hello phone\n');
    await run('adb', ['-s', phone.serial, 'push', join(work, 'hello.txt'), '/sdcard/Download/']);
    await run('adb', ['-s', phone.serial, 'pull', '/sdcard/Download/hello.txt', join(work, 'back.txt')]);
    expect(readFileSync(join(work, 'back.txt'), 'utf8')).toBe('hello phone\n');
    // A directory with a symlink: adb creates the directories itself (fixed_push_mkdir) and sends the link.
    await mkdir(join(work, 'tree/a/b'), { recursive: true });
    await writeFile(join(work, 'tree/a/b/file'), 'leaf\n');
    await symlink('file', join(work, 'tree/a/b/link'));
    await run('adb', ['-s', phone.serial, 'push', join(work, 'tree'), '/data/local/tmp/']);
    expect(await shell(phone.serial, 'readlink /data/local/tmp/tree/a/b/link; cat /data/local/tmp/tree/a/b/link'))
      .toBe('file\nleaf\n');
  });

  test('ssh2 over adbkit openTcp(8022) reaches the emulated phone\'s sshd; nothing listens on this machine', async () => {
    const client = await sshOverAdb(phone.serial);
    const { code, output } = await sshExec(client, 'echo "$USER $HOME"; command -v nix-on-droid');
    client.end();
    expect(code).toBe(0);
    expect(output).toBe('nix-on-droid /data/data/com.termux.nix/files/home\n/data/data/com.termux.nix/files/usr/bin/nix-on-droid\n');
    const asDroidUser = await sshOverAdb(phone.serial, 'soriphoono');
    expect((await sshExec(asDroidUser, 'echo "$USER"')).output).toBe('soriphoono\n');
    asDroidUser.end();
    const listening = (await run('ss', ['-Hltn'])).stdout;
    expect(listening).not.toMatch(/:8022\b/);
    await expect(adb.getDevice(phone.serial).openTcp(9)).rejects.toThrow();
  });

  test('nix-on-droid switch --flake over ssh builds flake/\'s droid in the phone\'s store, records generations, rolls back', async () => {
    expect(existsSync(join(FLAKE, 'flake.nix'))).toBe(true);
    const source = join(work, 'flake');
    await cp(FLAKE, source, { recursive: true, filter: (p) => !p.endsWith('/result') });
    await run('git', ['init', '-q', source]);
    await run('git', ['-C', source, 'add', '-A']);
    await run('git', ['-C', source, '-c', 'user.name=fleet', '-c', 'user.email=fleet@localhost', 'commit', '-qm', 'homelab']);
    const client = await sshOverAdb(phone.serial);
    const tar = spawn('tar', ['-C', work, '-cf', '-', 'flake'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const unpacked = await sshExec(client, 'tar -xf - -C ~', tar.stdout);
    expect(unpacked).toEqual({ code: 0, output: '' });

    const first = await sshExec(client, 'nix-on-droid switch --flake ~/flake#soriphoono');
    expect(first.output).toContain('Building activation package...');
    expect(first.code, first.output).toBe(0);
    const generations = await sshExec(client, 'nix-on-droid generations');
    expect(generations.output).toMatch(/^\s+1\s+\S+ \S+\s+\(current\)$/m);
    const link = await sshExec(client, 'readlink /nix/var/nix/profiles/nix-on-droid; readlink /nix/var/nix/profiles/nix-on-droid-1-link');
    expect(link.output).toMatch(/^nix-on-droid-1-link\n\/nix\/store\/[a-z0-9]{32}-/);
    // The store is the phone's own: the build is not in this machine's /nix/store.
    const storePath = link.output.split('\n')[1] ?? '';
    expect(existsSync(phone.hostPath(`/data/data/com.termux.nix/files/usr${storePath}`))).toBe(true);

    // Same configuration again: nix keeps the generation; nothing to roll back to yet.
    const again = await sshExec(client, 'nix-on-droid switch --flake ~/flake#soriphoono >/dev/null 2>&1; nix-on-droid rollback');
    expect(again.code).toBe(1);
    expect(again.output).toContain('Activation was not successful');
    // An edited configuration is a new generation; rollback returns to the first.
    const edit = 'sed -i s,Europe/Berlin,UTC, ~/flake/droids/soriphoono/default.nix';
    const second = await sshExec(client, `${edit} && nix-on-droid switch --flake ~/flake#soriphoono >/dev/null 2>&1 && readlink /nix/var/nix/profiles/nix-on-droid && nix-on-droid rollback >/dev/null 2>&1 && readlink /nix/var/nix/profiles/nix-on-droid`);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toBe('nix-on-droid-2-link\nnix-on-droid-1-link\n');
    const broken = await sshExec(client, 'nix-on-droid switch --flake ~/flake#no-such-droid');
    client.end();
    expect(broken.code).not.toBe(0);
    expect(broken.output).toMatch(/no-such-droid/);
  });

  test('disconnect() makes the emulated phone vanish from adb devices; reconnect() brings it back', async () => {
    await phone.disconnect();
    expect(await adbDevices()).not.toContain(phone.serial);
    await phone.reconnect();
    expect(await phone.adbState()).toBe('device');
    await phone.disconnect('network-loss');
    expect(await phone.adbState()).toBe('offline');
    await phone.reconnect();
    expect(await phone.adbState()).toBe('device');
  });
});

describe('emulated phone, setup scenarios', () => {
  test('none: no Nix-on-Droid; installing an APK with adbkit (push + pm install) creates the app', async () => {
    const phone = await startPhone({ scenario: 'none' });
    const device = adb.getDevice(phone.serial);
    expect(await device.getPackages()).not.toContain('com.termux.nix');
    expect(await device.isInstalled('com.termux.nix')).toBe(false);
    expect(existsSync(phone.hostPath('/data/data/com.termux.nix'))).toBe(false);
    expect(await shell(phone.serial, ['am', 'start', '-n', APP_ACTIVITY])).toContain('does not exist');
    expect(await device.install(Readable.from([emulatedApk()]))).toBe(true);
    expect(await device.isInstalled('com.termux.nix')).toBe(true);
    expect(existsSync(phone.hostPath('/data/data/com.termux.nix'))).toBe(true);
    expect(existsSync(phone.hostPath('/data/data/com.termux.nix/files/usr'))).toBe(false);
    await phone.stop();
    expect(await adbDevices()).not.toContain(phone.serial);
  });

  test('installed: am start opens the bootstrap; typed answers (input text + keyevent 66) complete it', async () => {
    const phone = await startPhone({ scenario: 'installed' });
    expect(await shell(phone.serial, ['am', 'start', '-n', APP_ACTIVITY])).toContain('Starting: Intent');
    await waitForScreen(phone.serial, 'Bootstrap zipball location');
    await shell(phone.serial, 'input keyevent 66');
    await waitForScreen(phone.serial, 'Do you want to set it up with flakes? (y/N)');
    expect(phone.screenText()).toContain(FLAKES_QUESTION.trim());
    await shell(phone.serial, typed('y'));
    await shell(phone.serial, 'input keyevent 66');
    await waitForScreen(phone.serial, PROMPT.trim());
    expect(phone.screenText()).toContain('Congratulations!');
    expect(existsSync(phone.hostPath('/data/data/com.termux.nix/files/usr/bin/nix-on-droid'))).toBe(true);
    expect(existsSync(phone.hostPath('/data/data/com.termux.nix/files/home'))).toBe(true);
    await shell(phone.serial, typed('echo smoke-test | base64'));
    await shell(phone.serial, 'input keyevent KEYCODE_ENTER');
    await waitForScreen(phone.serial, 'c21va2UtdGVzdAo=');
    await phone.stop();
  });

  test('bootstrapped: one typed base64 command adds the admin key and starts sshd; ssh over openTcp works', async () => {
    const phone = await startPhone({ scenario: 'bootstrapped' });
    await expect(adb.getDevice(phone.serial).openTcp(8022)).rejects.toThrow();
    const script = [
      'mkdir -p ~/.ssh && chmod 700 ~/.ssh',
      `echo '${publicKey}' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys`,
      '"$(command -v sshd)"',
      'echo sshd-started',
    ].join('\n');
    const line = `echo ${Buffer.from(script).toString('base64')} | base64 -d | sh`;
    await shell(phone.serial, ['am', 'start', '-n', APP_ACTIVITY]);
    await waitForScreen(phone.serial, PROMPT.trim());
    await shell(phone.serial, typed(line));
    await shell(phone.serial, 'input keyevent 66');
    await waitForScreen(phone.serial, 'sshd-started');
    const client = await sshOverAdb(phone.serial);
    expect((await sshExec(client, 'echo over-adb')).output).toBe('over-adb\n');
    client.end();
    await phone.stop();
  });

  test('bad input: unauthorized (prompt never answered), x86_64 emulator ABI, AUTH skipped', async () => {
    const denied = await startPhone({ scenario: 'ready', auth: 'deny' });
    expect(await denied.adbState()).toBe('unauthorized');
    await expect(shell(denied.serial, 'true')).rejects.toThrow(/unauthorized/);
    const x86 = await startPhone({ scenario: 'none', abi: 'x86_64', auth: 'skip' });
    expect((await adb.getDevice(x86.serial).getProperties())['ro.product.cpu.abi']).toBe('x86_64');
    await denied.stop();
    await x86.stop();
  });

  test('bad input: the emulated phone\'s disk fills up (a 4 MiB /data): sync answers FAIL with ENOSPC', async () => {
    const phone = await startPhone({ scenario: 'bootstrapped', dataSizeMb: 4 });
    const transfer = await adb.getDevice(phone.serial).push(Readable.from([Buffer.alloc(6 * 1024 * 1024)], { objectMode: false }), '/data/local/tmp/big.bin');
    expect((await settle(transfer))?.message).toBe("Failure: 'write failed: No space left on device'");
    const dir = phone.dir;
    await phone.stop();
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(dir);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('emulated phone teardown', () => {
  test('downPhones leaves no namespace, mount, process, directory or adb entry', async () => {
    const phone = await startPhone({ scenario: 'ready', authorizedKey: publicKey });
    const sshdPid = Number(readFileSync(phone.hostPath('/data/data/com.termux.nix/files/usr/tmp/sshd.pid'), 'utf8'));
    const inPhone = (await run('ip', ['netns', 'pids', `fleet-phone-${phone.port}`])).stdout.split('\n').filter(Boolean).map(Number);
    expect(inPhone).toContain(sshdPid);
    await downPhones({ lab: false });
    expect(inPhone.filter((pid) => !gone(pid))).toEqual([]);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(`fleet-phone-${phone.port}`);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`phone-${phone.port}`);
    expect(existsSync(phone.dir)).toBe(false);
    expect(phone.dir.startsWith(PHONES_DIR)).toBe(true);
    expect(await adbDevices()).not.toContain(phone.serial);
  });
});
