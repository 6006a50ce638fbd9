import { describe, expect, it } from 'vitest';
import { parseInstallTarget } from '../../../src-main/core/deploy/install/install-target';
import { diskoDevices, setDiskoDevice } from '../../../src-main/core/deploy/install/hardware-files';

describe('install target as typed: [user@]host[:port]', () => {
  it('reads user, host and port, root by default', () => {
    expect(parseInstallTarget('installer')).toEqual({ host: 'installer', user: 'root' });
    expect(parseInstallTarget('nixos@192.168.1.50:2222')).toEqual({ host: '192.168.1.50', user: 'nixos', port: 2222 });
    expect(parseInstallTarget('root@[fe80::1]:22')).toEqual({ host: 'fe80::1', user: 'root', port: 22 });
  });
  it('refuses what ssh would misread', () => {
    expect(() => parseInstallTarget('-oProxyCommand=x')).toThrow(/starts with "-"/);
    expect(() => parseInstallTarget('root@')).toThrow(/no host/);
    expect(() => parseInstallTarget('ro ot@host')).toThrow(/not a valid login name/);
    expect(() => parseInstallTarget('host:99999')).toThrow(/not a port/);
  });
});

describe("the disk of a system's disko.nix", () => {
  const disko = '{\n  disko.devices.disk.main = {\n    type = "disk";\n    device = "/dev/vda";\n    content = { };\n  };\n}\n';
  it('is replaced in place, the rest of the file kept', () => {
    expect(diskoDevices(disko)).toEqual(['/dev/vda']);
    expect(setDiskoDevice(disko, '/dev/disk/by-id/nvme-Samsung_1')).toBe(disko.replace('/dev/vda', '/dev/disk/by-id/nvme-Samsung_1'));
  });
  it('refuses a path outside /dev and layouts with several disks', () => {
    expect(() => setDiskoDevice(disko, '/etc/passwd')).toThrow(/not a device path/);
    expect(() => setDiskoDevice(disko, '/dev/sda"; x = "')).toThrow(/not a device path/);
    expect(() => setDiskoDevice(`${disko}\n{ device = "/dev/vdb"; }`, '/dev/sda')).toThrow(/names 2 disks/);
  });
});
