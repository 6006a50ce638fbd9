import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { featuresOf, locateNix, parseNixVersion } from '../../../src-main/core/nix/nix-info';
import { compareVersions } from '../../../src-main/core/nix/versions';
import { requireNixStore } from '../../../src-main/core/nix/runner';
import { parseNixOptions, nixOptionArgs } from '../../../src-main/core/nix/nix-options';
import { nixBaseArgs } from '../../../src-main/core/nix/runner';
import { lineSplitter } from '../../../src-main/core/process/run';

describe('nix version and flavour', () => {
  it('recognises nix, Lix and Determinate', () => {
    expect(parseNixVersion('nix (Nix) 2.8.0\n')).toEqual({ version: '2.8.0', flavour: 'nix' });
    expect(parseNixVersion('nix (Lix, like Nix) 2.91.1')).toEqual({ version: '2.91.1', flavour: 'lix' });
    expect(parseNixVersion('nix (Determinate Nix 3.6.2) 2.29.0')).toEqual({ version: '2.29.0', flavour: 'determinate' });
    expect(parseNixVersion('something else')).toBeUndefined();
  });
  it('knows which features each version has', () => {
    expect(featuresOf('2.8.0', 'nix')).toMatchObject({ printOutPaths: true, pathInfoJsonObject: false, configShow: false });
    expect(featuresOf('2.24.9', 'nix')).toMatchObject({ pathInfoJsonObject: true, configShow: true, allSystems: true });
    expect(featuresOf('2.91.1', 'lix')).toMatchObject({ pathInfoJsonObject: false, pathInfoJsonFormat: false, configShow: true });
    expect(featuresOf('2.26.3', 'nix')).toMatchObject({ pathInfoJsonFormat: false });
    expect(featuresOf('2.34.8', 'nix')).toMatchObject({ pathInfoJsonObject: true, pathInfoJsonFormat: true });
    expect(compareVersions('2.10', '2.9.1')).toBeGreaterThan(0);
  });
});

describe('FLEET_NIX', () => {
  it('takes the nix binary, or the folder holding nix and nix-store (a toolchain of wrappers)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-nix-folder-'));
    try {
      for (const name of ['nix', 'nix-store']) fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
      const nix = path.join(dir, 'nix');
      expect(locateNix({ FLEET_NIX: nix })).toBe(nix);
      expect(locateNix({ FLEET_NIX: dir })).toBe(nix);
      expect(requireNixStore({ FLEET_NIX: dir })).toBe(path.join(dir, 'nix-store'));
      fs.rmSync(nix);
      // An explicit choice is final: no nix in the folder means no nix, not a search of PATH.
      expect(locateNix({ FLEET_NIX: dir, PATH: '/usr/bin:/bin' })).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nix options', () => {
  it('parses both forms and always enables flakes', () => {
    expect(parseNixOptions('substituters=; extra-platforms=aarch64-linux')).toEqual([
      { name: 'substituters', value: '' },
      { name: 'extra-platforms', value: 'aarch64-linux' },
    ]);
    expect(parseNixOptions('{"sandbox": false, "extra-platforms": ["aarch64-linux", "i686-linux"]}')).toEqual([
      { name: 'sandbox', value: 'false' },
      { name: 'extra-platforms', value: 'aarch64-linux i686-linux' },
    ]);
    expect(nixOptionArgs([{ name: 'sandbox', value: 'false' }])).toEqual(['--option', 'sandbox', 'false']);
    expect(nixBaseArgs([])).toEqual(['--extra-experimental-features', 'nix-command flakes']);
    expect(() => parseNixOptions('no-equals-sign')).toThrow(/name=value/);
    expect(() => parseNixOptions('--evil=1')).toThrow(/not a nix option/);
  });
});

describe('lineSplitter', () => {
  it('joins lines split across chunks and keeps the last partial line', () => {
    const lines: string[] = [];
    const s = lineSplitter((l) => lines.push(l));
    s.push('ab');
    s.push('c\r\nde');
    s.push('f\n\ng');
    s.end();
    expect(lines).toEqual(['abc', 'def', '', 'g']);
  });
});
