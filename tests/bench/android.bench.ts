// Pushing a 50 MB flake source to an EMULATED phone (tests/harness/phone) through the real adb
// server: the app's way (one tar stream over adb sync, what `fleet droid deploy` does) against
// `adb push` of the same files (one sync transfer per file). Prints both times and the ratio.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startPhone } from '../harness/phone/index';
import { adbServerAddress, openAdbClient } from '../../src-main/core/android/adb-server';
import { packFlakeSource } from '../../src-main/core/android/flake-source';
import { pushStream } from '../../src-main/core/android/push-source';
import { freeLoopbackPort } from '../harness/free-port';

const run = promisify(execFile);

/** A flake-like tree: the example homelab plus 2000 small files (4 KiB) and 42 large ones (1 MiB): ~50 MB. */
function makeSource(dir: string): number {
  fs.cpSync(path.resolve(import.meta.dirname, '../../flake'), dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < 2000; i += 1) {
    const sub = path.join(dir, 'pkgs', `p${i % 40}`);
    fs.mkdirSync(sub, { recursive: true });
    const data = randomBytes(4096);
    fs.writeFileSync(path.join(sub, `f${i}.nix`), data);
    bytes += data.length;
  }
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  for (let i = 0; i < 42; i += 1) {
    const data = randomBytes(1 << 20);
    fs.writeFileSync(path.join(dir, 'assets', `blob${i}.bin`), data);
    bytes += data.length;
  }
  return bytes;
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

export default async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-android-'));
  const adbPort = await freeLoopbackPort();
  process.env.ANDROID_ADB_SERVER_PORT = String(adbPort);
  const phone = await startPhone({ scenario: 'installed' });
  try {
    const source = path.join(dir, 'homelab');
    const bytes = makeSource(source);
    const client = await openAdbClient(adbServerAddress(process.env));
    const device = client.getDevice(phone.serial);
    const rounds = 3;
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const [tarMs] = await time(async () => {
        const packed = await packFlakeSource(source, 'worktree');
        await pushStream(device, packed.tar, '/data/local/tmp/bench-source.tar');
        await packed.done;
      });
      ours.push(tarMs);
      await run('adb', ['-P', String(adbPort), '-s', phone.serial, 'shell', 'rm -rf /data/local/tmp/bench-source.tar /data/local/tmp/bench-push']);
      const [pushMs] = await time(() => run('adb', ['-P', String(adbPort), '-s', phone.serial, 'push', source, '/data/local/tmp/bench-push'], { maxBuffer: 64 << 20 }));
      theirs.push(pushMs);
      await run('adb', ['-P', String(adbPort), '-s', phone.serial, 'shell', 'rm -rf /data/local/tmp/bench-push']);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const mb = bytes / 1e6;
    const a = median(ours);
    const b = median(theirs);
    process.stdout.write(`source: ${mb.toFixed(1)} MB in ${2000 + 42} files (+ flake/), ${rounds} rounds, medians\n`);
    process.stdout.write(`tar stream over adb sync (fleet droid deploy): ${(a / 1000).toFixed(2)} s (${(mb / (a / 1000)).toFixed(1)} MB/s)  [${ours.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n`);
    process.stdout.write(`adb push of the same files:                   ${(b / 1000).toFixed(2)} s (${(mb / (b / 1000)).toFixed(1)} MB/s)  [${theirs.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n`);
    process.stdout.write(`ratio adb push / tar over sync: ${(b / a).toFixed(2)}x\n`);
  } finally {
    await phone.stop();
    await run('adb', ['-P', String(adbPort), 'kill-server']).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
