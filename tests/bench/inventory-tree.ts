import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

export interface HomelabSize {
  readonly systems: number;
  readonly homes: number;
  readonly droids: number;
  readonly moduleFiles: number;
}

/** The size the inventory must stay fast on (issue 3). */
export const bigHomelab: HomelabSize = { systems: 1000, homes: 2000, droids: 200, moduleFiles: 5000 };

// The flake discovers its configurations the way the example homelab's lib does (readDir),
// so `nix eval .#nixosConfigurations --apply builtins.attrNames` does the same work a real
// homelab's flake does to list its hosts.
const flakeNix = `{
  outputs = { self }:
    let
      inherit (builtins) attrNames filter listToAttrs map pathExists readDir stringLength substring mapAttrs match head;
      hasSuffix = s: x: let n = stringLength x; k = stringLength s; in n >= k && substring (n - k) k x == s;
      discover = dir:
        let entries = if pathExists dir then readDir dir else { };
            counts = name: type: (type == "directory" && pathExists (dir + "/\${name}/default.nix"))
              || (type == "regular" && name != "default.nix" && hasSuffix ".nix" name);
        in listToAttrs (map (name: { name = if hasSuffix ".nix" name then substring 0 (stringLength name - 4) name else name; value = dir + "/\${name}"; })
          (filter (name: counts name entries.\${name}) (attrNames entries)));
      homes = discover ./homes;
      baseUsers = filter (n: match "[^@]+@.+" n == null) (attrNames homes);
    in {
      nixosConfigurations = mapAttrs (name: path: { inherit name path; }) (discover ./systems);
      homeConfigurations = listToAttrs (map (u: { name = u; value = homes.\${u}; }) baseUsers);
      nixOnDroidConfigurations = mapAttrs (name: path: { inherit name path; }) (discover ./droids);
    };
}
`;

const pad = (n: number, width = 4): string => String(n).padStart(width, '0');

/**
 * Write a generated homelab of the given size into a new temp folder, as a committed git
 * repository (nix reads tracked files only), and return its path. Systems are 90 % folders
 * with meta.json (a fifth with secrets.yaml), 10 % single files; homes are base, global and
 * per-host overrides; modules are spread over nested folders of modules/{nixos,home,droid}.
 */
export function generateHomelab(size: HomelabSize = bigHomelab, base = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-homelab-'))): string {
  const write = (rel: string, content: string): void => {
    const file = path.join(base, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };
  write('flake.nix', flakeNix);
  const admin = 'age1admin000000000000000000000000000000000000000000000000000';
  write('.sops.yaml', `keys:\n  - &admin ${admin}\ncreation_rules:\n  - path_regex: systems/[^/]+/secrets\\.yaml$\n    age: *admin\n`);
  const systemNames: string[] = [];
  for (let i = 0; i < size.systems; i++) {
    const name = `host-${pad(i)}`;
    systemNames.push(name);
    if (i % 10 === 9) {
      write(`systems/${name}.nix`, '{ ... }: { }\n');
      continue;
    }
    write(`systems/${name}/default.nix`, `{ ... }: { networking.hostName = "${name}"; }\n`);
    const arch = i % 7 === 0 ? 'aarch64-linux' : 'x86_64-linux';
    const tags = [i % 3 === 0 ? 'server' : 'desktop', `rack-${i % 12}`];
    write(`systems/${name}/meta.json`, JSON.stringify({ system: arch, deploy: { tags } }, null, 2) + '\n');
    if (i % 5 === 0) {
      write(
        `systems/${name}/secrets.yaml`,
        `password: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    age:\n        - recipient: ${admin}\n          enc: x\n    lastmodified: "2024-05-12T09:03:17Z"\n    version: 3.8.1\n`,
      );
    }
  }
  // Homes: a quarter of the budget are users with base + global, the rest per-host overrides.
  const users = Math.max(1, Math.floor(size.homes / 4));
  let homes = 0;
  for (let u = 0; u < users && homes < size.homes; u++) {
    write(`homes/user${pad(u)}/default.nix`, '{ ... }: { }\n');
    homes++;
    if (homes < size.homes) {
      write(`homes/user${pad(u)}@global/default.nix`, '{ ... }: { }\n');
      homes++;
    }
  }
  for (let h = 0; homes < size.homes; h++, homes++) {
    write(`homes/user${pad(h % users)}@${systemNames[h % systemNames.length] ?? 'host-0000'}/default.nix`, '{ ... }: { }\n');
  }
  for (let i = 0; i < size.droids; i++) {
    write(`droids/phone-${pad(i, 3)}/default.nix`, '{ ... }: { }\n');
    write(`droids/phone-${pad(i, 3)}/meta.json`, '{ "system": "aarch64-linux" }\n');
  }
  const kinds = [
    ['nixos', 0.5],
    ['home', 0.4],
    ['droid', 0.1],
  ] as const;
  for (const [kind, share] of kinds) {
    const count = Math.round(size.moduleFiles * share);
    for (let i = 0; i < count; i++) write(`modules/${kind}/group-${pad(i % 50, 2)}/sub-${i % 4}/module-${pad(i)}.nix`, '{ ... }: { }\n');
  }
  const git = (...args: string[]): void => {
    execFileSync('git', args, { cwd: base, stdio: 'ignore' });
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'generated homelab');
  return base;
}
