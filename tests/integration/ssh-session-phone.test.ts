// The core's one SSH session layer (core/ssh/sessions.ts) over a stream: an EMULATED phone
// (tests/harness/phone) reached through the real adb server's forward to its port 8022. The
// same known_hosts, passphrase cache and prompts as hosts; a phone's old known_hosts.json
// entry moves into known_hosts; output kept in memory is capped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { Adb } from '@devicefarmer/adbkit';
import { describe, expect, it } from 'vitest';
import { adbService } from '../../src-main/core/android/adb-service';
import { openPhoneSession } from '../../src-main/core/android/phone-session';
import { FleetError } from '../../src-main/core/contract';
import { fingerprintSha256, parseKnownHosts } from '../../src-main/core/ssh/known-hosts';
import { sshSessions } from '../../src-main/core/ssh/sessions';
import { readyPhoneWorld } from './android-world';

const lab = readyPhoneWorld();

function knownHostsFile(): string {
  return path.join(lab.world.dir, 'data', 'known_hosts');
}

function legacyFile(): string {
  return path.join(lab.world.dir, 'data', 'android', 'known_hosts.json');
}

async function adbForward(): Promise<Duplex> {
  const adb = Adb.createClient({ port: lab.world.adbPort });
  return (await adb.getDevice(lab.phone.serial).openTcp(8022)) as Duplex;
}

/** The phone's host key as the one known_hosts holds it, and its fingerprint. */
function phoneKey(): { line: string; fingerprint: string } {
  const name = `[adb:${lab.phone.serial}]:8022`;
  const entry = parseKnownHosts(fs.readFileSync(knownHostsFile(), 'utf8'), knownHostsFile()).find((e) => e.patterns.split(',').includes(name));
  if (!entry) throw new Error(`no ${name} in ${knownHostsFile()}`);
  return { line: `${entry.patterns} ${entry.keyType} ${entry.key}`, fingerprint: fingerprintSha256(Buffer.from(entry.key, 'base64')) };
}

describe('ssh session layer over a stream (emulated phone through the real adb server)', () => {
  it('emulation: opens SSH over the adb forward, asks about the new host key once and writes it to the one known_hosts', async () => {
    const sessions = sshSessions(lab.world.core.context);
    const target = { host: `adb:${lab.phone.serial}`, port: 8022, user: 'nix-on-droid', identityFile: lab.world.key };
    const asked = lab.world.asked.length;
    const first = await sessions.open({ ...target, stream: await adbForward() });
    try {
      const result = await first.exec(['sh', '-c', 'echo "over $1"', 'sh', 'the stream']);
      expect(result).toMatchObject({ code: 0, stdout: 'over the stream\n' });
    } finally {
      first.close();
    }
    expect(lab.world.asked.slice(asked).map((q) => q.kind)).toEqual(['host-key']);
    expect(phoneKey().line).toMatch(/^\[adb:127\.0\.0\.1:\d+\]:8022 ssh-ed25519 /);

    const again = await sessions.open({ ...target, stream: await adbForward() });
    again.close();
    expect(lab.world.asked.slice(asked)).toHaveLength(1);
  });

  it('emulation: a phone key remembered in the old known_hosts.json moves to known_hosts without a question', async () => {
    const { fingerprint } = phoneKey();
    fs.rmSync(knownHostsFile());
    fs.mkdirSync(path.dirname(legacyFile()), { recursive: true });
    fs.writeFileSync(legacyFile(), JSON.stringify({ [`adb:${lab.phone.serial}`]: fingerprint, 'adb:another-phone': 'SHA256:kept' }));
    const asked = lab.world.asked.length;
    const session = await openPhoneSession(lab.world.core.context, adbService(lab.world.core.context), { kind: 'adb', serial: lab.phone.serial }, { identityFile: lab.world.key });
    try {
      expect((await session.run(['true'])).code).toBe(0);
    } finally {
      session.close();
    }
    expect(lab.world.asked.slice(asked)).toHaveLength(0);
    expect(phoneKey().fingerprint).toBe(fingerprint);
    // Moved, not copied: the other phone's entry stays until that phone is seen.
    expect(JSON.parse(fs.readFileSync(legacyFile(), 'utf8'))).toEqual({ 'adb:another-phone': 'SHA256:kept' });
  });

  it('emulation: a different fingerprint in the old known_hosts.json is refused as a changed key, without a question', async () => {
    fs.rmSync(knownHostsFile());
    fs.writeFileSync(legacyFile(), JSON.stringify({ [`adb:${lab.phone.serial}`]: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }));
    const asked = lab.world.asked.length;
    const opening = openPhoneSession(lab.world.core.context, adbService(lab.world.core.context), { kind: 'adb', serial: lab.phone.serial }, { identityFile: lab.world.key });
    const error = await opening.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FleetError);
    expect((error as FleetError).code).toBe('host-key-changed');
    expect((error as FleetError).message).toMatch(/expected SHA256:AAAA.*got SHA256:/);
    expect(lab.world.asked.slice(asked)).toHaveLength(0);
    expect(fs.existsSync(knownHostsFile())).toBe(false);
    fs.rmSync(legacyFile());
  });

  it('emulation: keeps at most maxStdout of a command\'s output in memory; the data callback still sees every byte', async () => {
    const session = await openPhoneSession(lab.world.core.context, adbService(lab.world.core.context), { kind: 'adb', serial: lab.phone.serial }, { identityFile: lab.world.key });
    try {
      let seen = 0;
      const result = await session.connection.exec(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\000" x'], {
        maxStdout: 1024 * 1024,
        onStdoutData: (chunk) => (seen += chunk.length),
      });
      expect(result.code).toBe(0);
      expect(result.stdout.length).toBe(1024 * 1024);
      expect(result.truncated).toBe(true);
      expect(seen).toBe(3_000_000);
      const small = await session.connection.exec(['echo', 'short']);
      expect(small.truncated).toBeUndefined();
    } finally {
      session.close();
    }
  });
});
