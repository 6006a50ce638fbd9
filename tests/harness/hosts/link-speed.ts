import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processName, spawnInHost, waitForPort } from './host.js';
import { restartSshd, writeSshdConfig } from './sshd.js';
import type { HostRecord } from './records.js';
import { run, runOk, sleep } from './run.js';

/**
 * LAN/WAN-like links. Rate: a tbf qdisc on both ends of the veth pair. Delay: this kernel has
 * no netem, so sshd moves to the host's loopback and a user-space relay (delay-relay.ts) takes
 * over <address>:22, holding every chunk for half the round-trip delay in each direction.
 */

export interface LinkSpeed {
  /** tc rate, e.g. "20mbit", "1gbit", "512kbit". Omit for no rate limit. */
  readonly rate?: string;
  /** Added round-trip time in milliseconds for ssh connections (e.g. 50). Omit or 0 for none. */
  readonly delayMs?: number;
}

const UNITS: Readonly<Record<string, number>> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 };

/** Parse a tc rate ("20mbit", "1gbit", "500kbps") into bits per second. */
export function parseRate(rate: string): number {
  const match = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(rate.trim().toLowerCase());
  const unit = match ? UNITS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined) throw new Error(`rate "${rate}" is not a tc rate like 20mbit, 1gbit or 500kbit`);
  return Number(match[1]) * unit;
}

function relayPidFile(host: HostRecord): string {
  return path.join(host.dir, 'log/delay-relay.pid');
}

async function shapeBothEnds(host: HostRecord, rate: string | undefined): Promise<void> {
  const ends: readonly (readonly string[])[] = [
    ['dev', host.rootVeth],
    ['-n', host.netns, 'dev', 'eth0'],
  ];
  for (const end of ends) {
    const [nsArgs, devArgs] = end[0] === '-n' ? [end.slice(0, 2), end.slice(2)] : [[], end];
    await run('tc', [...nsArgs, 'qdisc', 'del', ...devArgs, 'root']);
    if (rate === undefined) continue;
    const bytesPerSecond = parseRate(rate) / 8;
    // tbf needs a bucket of at least one timer tick of traffic and a few full-size packets.
    const burst = Math.max(Math.ceil(bytesPerSecond / 100), 32 * 1024);
    await runOk('tc', [...nsArgs, 'qdisc', 'add', ...devArgs, 'root', 'tbf', 'rate', rate, 'burst', String(burst), 'latency', '200ms']);
  }
}

async function stopRelay(host: HostRecord): Promise<boolean> {
  const pid = Number((await readFile(relayPidFile(host), 'utf8').catch(() => '')).trim());
  await rm(relayPidFile(host), { force: true });
  if (!(pid > 0) || (await processName(pid)) !== 'node') return false;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && (await processName(pid)) !== null; i++) await sleep(20);
  return true;
}

async function restartSshdListening(host: HostRecord, onAddress: boolean): Promise<void> {
  await writeSshdConfig(host, onAddress);
  await restartSshd(host, { onAddress });
}

/** Slow the host's link: rate-limit both directions and/or add round-trip delay to ssh. Replaces an earlier setting. */
export async function slowLink(host: HostRecord, speed: LinkSpeed): Promise<void> {
  await shapeBothEnds(host, speed.rate);
  const hadRelay = await stopRelay(host);
  const delayMs = speed.delayMs ?? 0;
  if (delayMs > 0) {
    if (!hadRelay) await restartSshdListening(host, false);
    const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const relay = path.join(path.dirname(fileURLToPath(import.meta.url)), 'delay-relay.ts');
    const pid = spawnInHost(
      host,
      [process.execPath, '--import', loader, relay, host.address, '22', '127.0.0.1', '22', String(delayMs)],
      path.join(host.dir, 'log/delay-relay.log'),
    );
    await writeFile(relayPidFile(host), String(pid));
    await waitForPort(host.address, 22, 15_000);
  } else if (hadRelay) {
    await restartSshdListening(host, true);
  }
}

/** Give the host its full-speed link back. */
export async function restoreLinkSpeed(host: HostRecord): Promise<void> {
  await slowLink(host, {});
}
