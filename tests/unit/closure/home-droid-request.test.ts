import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateClosureRequest } from '../../../src-main/core/closure/diff-job';
import { droidBuildOptions } from '../../../src-main/core/nix/nix-options';
import { homeProfileScript, hostHomeProfile } from '../../../src-main/core/closure/home-host';
import type { HostExec } from '../../../src-main/core/closure/listing';

const flake = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../flake');

/** A host that answers every command with one recorded result, and keeps the argv it got. */
function recordedHost(result: { code: number; stdout: string; stderr: string }): { exec: HostExec; calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  return { calls, exec: async (argv) => (calls.push(argv), result) };
}

describe('closure.diff requests for homes and droids', () => {
  it('takes home:<config>@<host> as a home on that host, checked like a deploy target', () => {
    expect(validateClosureRequest(flake, { machine: 'home:soriphoono@zephyrus', asUser: 'deploy' })).toEqual({ kind: 'home', name: 'soriphoono', onHost: 'soriphoono@zephyrus' });
    expect(() => validateClosureRequest(flake, { machine: 'home:nobody@zephyrus' })).toThrow(/No standalone home "nobody"/);
    expect(() => validateClosureRequest(flake, { machine: 'home:soriphoono@bad host' })).toThrow(/cannot be deployed/);
  });

  it('asks for the host of a home without one, unless it compares with a revision', () => {
    expect(() => validateClosureRequest(flake, { machine: 'home:soriphoono' })).toThrow(/home:soriphoono@<host>/);
    expect(validateClosureRequest(flake, { machine: 'home:soriphoono', base: 'HEAD' })).toEqual({ kind: 'home', name: 'soriphoono' });
  });

  it('takes a droid on its phone without a profile path, and phone options only for droids', () => {
    expect(validateClosureRequest(flake, { machine: 'droid:soriphoono', serial: 'emulator-5554' })).toEqual({ kind: 'droid', name: 'soriphoono' });
    expect(() => validateClosureRequest(flake, { machine: 'moonlight', serial: 'emulator-5554' })).toThrow(/serial/);
    expect(() => validateClosureRequest(flake, { machine: 'moonlight', asUser: 'deploy' })).toThrow(/asUser/);
    expect(() => validateClosureRequest(flake, { machine: 'droid:nobody' })).toThrow(/no droid named "nobody"/);
  });

  it('builds droids with extra-platforms aarch64-linux unless the machine already says otherwise', () => {
    expect(droidBuildOptions([{ name: 'substituters', value: '' }])).toEqual([{ name: 'substituters', value: '' }, { name: 'extra-platforms', value: 'aarch64-linux' }]);
    const own = [{ name: 'extra-platforms', value: 'aarch64-linux riscv64-linux' }];
    expect(droidBuildOptions(own)).toBe(own);
  });
});

describe('finding a home profile on the host', () => {
  it('runs the constant script with no data in it and answers the path it printed', async () => {
    const host = recordedHost({ code: 0, stdout: '/home/deploy/.local/state/nix/profiles/home-manager\n', stderr: '' });
    expect(await hostHomeProfile(host.exec)).toBe('/home/deploy/.local/state/nix/profiles/home-manager');
    expect(host.calls).toEqual([['sh', '-c', homeProfileScript, 'fleet']]);
  });

  it('says the home was never deployed there when the user has no profile', async () => {
    const host = recordedHost({ code: 3, stdout: '', stderr: 'deploy has no Home Manager profile (/home/deploy/.local/state/nix/profiles/home-manager)\n' });
    await expect(hostHomeProfile(host.exec)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no Home Manager profile/) });
  });

  it('reports a failing shell with its last line', async () => {
    const host = recordedHost({ code: 127, stdout: '', stderr: 'sh: not found\n' });
    await expect(hostHomeProfile(host.exec)).rejects.toMatchObject({ code: 'failed', message: expect.stringMatching(/sh: not found/) });
  });
});
