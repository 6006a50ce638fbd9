// "Build on this computer" droid deploys to an EMULATED phone (tests/harness/phone) through the
// real adb server: the app builds the activation package with its own nix, reads the closure
// with `nix path-info --json` (an array on Nix 2.8, an object since 2.19: issue 12, where this
// failed with 'info.map is not a function') and sends only what the phone's store lacks.
// Runs on this machine's Nix 2.8 (integration) and with the app on sid's Nix 2.34
// (current-nix-local, tests/test-worlds.json).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeployRecord, DroidDeployJobResult } from '../../src-main/core/deploy/contract';
import type { JobInfo } from '../../src-main/core/jobs/types';
import type { NixInfo } from '../../src-main/core/nix/contract';
import { localNixProgram, nixVersionOf } from '../harness/toolchain/index.js';
import { readyPhoneWorld } from './android-world';

// The nix this run gives the app: the local toolchain's (current-nix-local), else the machine's.
const nixVersion = nixVersionOf(execFileSync(localNixProgram('nix'), ['--version'], { encoding: 'utf8' }));

const lab = readyPhoneWorld();

function setTimeZone(zone: string): Promise<string> {
  const file = join(lab.world.checkout, 'droids/soriphoono/default.nix');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/time\.timeZone = "[^"]*";/, `time.timeZone = "${zone}";`));
  return lab.world.git(['commit', '-qam', `droid: ${zone}`]);
}

function deployBuiltHere(): Promise<JobInfo> {
  return lab.world.job('droid.deploy', { droid: 'soriphoono', serial: lab.phone.serial, identityFile: lab.world.key, buildOn: 'laptop' });
}

/** The store path of the phone's current Nix-on-Droid generation. */
async function phoneGeneration(): Promise<string> {
  const link = await lab.phone.runInApp(['readlink', '-f', '/nix/var/nix/profiles/nix-on-droid']);
  return link.output.trim();
}

/** The closure of `out` in this machine's store, by `nix-store -qR` (no JSON: independent of the app's path-info reader). */
function closureHere(out: string): string[] {
  return execFileSync(localNixProgram('nix-store'), ['--query', '--requisites', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** The paths of `paths` the phone's store does not hold. */
async function missingOnPhone(paths: readonly string[]): Promise<string[]> {
  const check = await lab.phone.runInApp(['nix-store', '--check-validity', '--print-invalid', ...paths]);
  expect(check.code, check.output).toBe(0);
  return check.output.split('\n').map((l) => l.trim()).filter(Boolean);
}

function copied(info: JobInfo): { sent: number; of: number } {
  const match = /Copying (\d+) of (\d+) store paths to the phone/.exec(readFileSync(info.logFile, 'utf8'));
  if (!match) throw new Error(`the deploy log has no "Copying N of M store paths" line:\n${readFileSync(info.logFile, 'utf8')}`);
  return { sent: Number(match[1]), of: Number(match[2]) };
}

describe(`build on this computer (app on Nix ${nixVersion}): droid deploy to an emulated phone over adb`, () => {
  it(`the app runs Nix ${nixVersion}`, async () => {
    const info = (await lab.world.core.invoke('nix.info', {})) as NixInfo;
    expect(info.found).toBe(true);
    expect(info.version).toBe(nixVersion);
  });

  it('a phone without a generation: builds here, copies the whole closure, activates generation 1', async () => {
    await setTimeZone('Africa/Cairo');
    const info = await deployBuiltHere();
    expect(info.error).toBeUndefined();
    expect(info.status).toBe('succeeded');
    const result = info.result as DroidDeployJobResult;
    expect(result.before).toBeUndefined();
    expect(result.after).toBe(1);
    const record = (await lab.world.core.invoke('deploy.get', { id: info.id })) as DeployRecord;
    expect(record.outcomes[0]!.stages.map((stage) => stage.name)).toEqual(['preflight', 'build', 'copy', 'activate']);
    expect(record.outcomes[0]).toMatchObject({ target: 'droid:soriphoono', status: 'succeeded', generation: 1 });

    const out = await phoneGeneration();
    expect(out).toMatch(/^\/nix\/store\/[0-9a-z]{32}-/);
    const closure = closureHere(out);
    expect(copied(info)).toEqual({ sent: closure.length, of: closure.length });
    expect(await missingOnPhone(closure)).toEqual([]);
    const tz = await lab.phone.runInApp(['cat', '.nix-on-droid/etc/timezone']);
    expect(tz.output.trim()).toBe('Africa/Cairo');
  });

  it('an edit: sends only the paths the phone lacks and activates it as generation 2', async () => {
    const before = await phoneGeneration();
    await setTimeZone('Asia/Tokyo');
    const info = await deployBuiltHere();
    expect(info.error).toBeUndefined();
    expect(info.status).toBe('succeeded');
    const result = info.result as DroidDeployJobResult;
    expect(result).toMatchObject({ before: 1, after: 2 });

    const out = await phoneGeneration();
    expect(out).not.toBe(before);
    const closure = closureHere(out);
    const sent = copied(info);
    expect(sent.of).toBe(closure.length);
    // The new generation's own paths went over; what it shares with generation 1 did not.
    expect(sent.sent).toBeGreaterThan(0);
    expect(sent.sent).toBeLessThan(closure.length);
    expect(sent.sent).toBe(closure.filter((p) => !closureHere(before).includes(p)).length);
    expect(await missingOnPhone(closure)).toEqual([]);
    const tz = await lab.phone.runInApp(['cat', '.nix-on-droid/etc/timezone']);
    expect(tz.output.trim()).toBe('Asia/Tokyo');
  });
});
