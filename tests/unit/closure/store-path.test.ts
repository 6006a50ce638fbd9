import { describe, expect, it } from 'vitest';
import { parseStorePath } from '../../../src-main/core/closure/store-path';
import { compareVersions } from '../../../src-main/core/nix/versions';

const h = '/nix/store/0cax7ymflghbnivjk8ln3aml48ffi50z-';

describe('store path names', () => {
  it.each([
    ['openssh-9.6p1', 'openssh', '9.6p1', ''],
    ['linux-6.6.30', 'linux', '6.6.30', ''],
    ['initrd-linux-6.6.30', 'initrd-linux', '6.6.30', ''],
    ['glibc-2.39-52', 'glibc', '2.39-52', ''],
    ['python3.11-requests-2.31.0', 'python3.11-requests', '2.31.0', ''],
    ['nixos-system-moonlight-24.05.20240601.3f3ac8a', 'nixos-system-moonlight', '24.05.20240601.3f3ac8a', ''],
    ['openssl-3.0.13-bin', 'openssl', '3.0.13', 'bin'],
    ['gcc-13.2.0-lib', 'gcc', '13.2.0', 'lib'],
    ['etc', 'etc', '', ''],
    ['system-path', 'system-path', '', ''],
    ['unit-script-nixos-activation-start', 'unit-script-nixos-activation-start', '', ''],
    ['secrets.yaml', 'secrets.yaml', '', ''],
    ['hello-man', 'hello', '', 'man'],
  ])('%s -> %s / %s / %s', (name, pname, version, output) => {
    expect(parseStorePath(h + name)).toMatchObject({ name, pname, version, output, hash: '0cax7ymflghbnivjk8ln3aml48ffi50z' });
  });

  it('drops .drv and accepts bare names', () => {
    expect(parseStorePath(`${h}fish-3.7.1.drv`)).toMatchObject({ pname: 'fish', version: '3.7.1' });
    expect(parseStorePath('fish-3.7.1')).toMatchObject({ hash: '', pname: 'fish', version: '3.7.1' });
  });
});

describe('version order (as builtins.compareVersions)', () => {
  it.each([
    ['3.7.1', '3.7.2', -1],
    ['9.6p1', '9.7p1', -1],
    ['9.6p1', '9.6p2', -1],
    ['6.6.30', '6.6.9', 1],
    ['2.3a', '2.3.1', -1],
    ['1.0pre1', '1.0', -1],
    ['2.39-52', '2.39-52', 0],
    ['24.05.20240601.3f3ac8a', '24.11.20241201.aaaaaaa', -1],
    ['1.0', '1.0.1', -1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(sign === 0 ? 0 : -sign);
  });
});
