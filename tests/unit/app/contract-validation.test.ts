import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commands, parseCommandInput, requireCommandName } from '../../../src-main/core/api';
import { FleetError } from '../../../src-main/core/contract';
import { createCore, type FleetCore } from '../../../src-main/core/core';

describe('the contract rejects bad input with a message naming what and where', () => {
  it('names the command, the field and the problem', () => {
    expect(() => parseCommandInput('checkout.open', { path: 5 })).toThrowError(
      /Invalid input for checkout\.open: path: .*expected string/,
    );
  });

  it('refuses fields the command does not know', () => {
    try {
      parseCommandInput('jobs.cancel', { jobId: 'x', force: true });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FleetError);
      expect((error as FleetError).code).toBe('invalid-input');
      expect((error as FleetError).message).toMatch(/force/);
    }
  });

  it('reports every wrong field, with nested paths', () => {
    try {
      parseCommandInput('settings.update', { theme: 'purple', deploy: { parallel: 0 } });
      expect.unreachable();
    } catch (error) {
      const issues = (error as FleetError).issues ?? [];
      expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['theme', 'deploy.parallel']));
    }
  });

  it('refuses a missing required field and a NUL byte in a path', () => {
    expect(() => parseCommandInput('checkout.open', {})).toThrowError(/path/);
    expect(() => parseCommandInput('checkout.open', { path: 'a\0b' })).toThrowError(/NUL/);
  });

  it('refuses a command that does not exist', () => {
    expect(() => requireCommandName('rm -rf')).toThrowError(/Unknown command "rm -rf"/);
    expect(() => requireCommandName(42)).toThrowError(/Unknown command 42/);
  });

  it('declares every command with a schema and a summary', () => {
    for (const [name, spec] of Object.entries(commands)) {
      expect(spec.summary, name).toMatch(/\w/);
      expect(typeof spec.input.safeParse, name).toBe('function');
      expect(['query', 'job'], name).toContain(spec.kind);
    }
  });
});

describe('errors cross the bridge as data', () => {
  let core: FleetCore | undefined;
  afterEach(async () => {
    await core?.dispose();
  });

  it('invokeWire answers {ok:false, error} instead of throwing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-'));
    core = createCore({ host: 'cli', dataDir });
    const reply = await core.invokeWire('checkout.open', { path: path.join(dataDir, 'nowhere') });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.code).toBe('not-found');
      expect(reply.error.message).toContain('nowhere');
      expect(reply.error.hint).toMatch(/flake\.nix/);
    }
    const bad = await core.invokeWire('jobs.get', { jobId: 7 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('explains a folder without flake.nix', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-unit-'));
    core = createCore({ host: 'cli', dataDir });
    const reply = await core.invokeWire('checkout.open', { path: dataDir });
    expect(reply).toMatchObject({ ok: false, error: { message: expect.stringMatching(/no flake\.nix/) } });
  });
});
