import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The shape of a generated homelab: how many of each, and which hosts carry a user's home. */
export interface HomelabShape {
  readonly systems: number;
  readonly users: number;
  /** Every n-th system gets homes/<user>@<host> for user 0. */
  readonly hostHomeEvery: number;
  readonly droids: number;
  /** Put everything under this folder (e.g. "nix") instead of the root. */
  readonly layoutFolder?: string;
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Write a homelab tree with the layout's folders into a new temporary folder; returns its path. */
export function generateHomelab(shape: HomelabShape): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-gen-'));
  const base = shape.layoutFolder ? path.join(root, shape.layoutFolder) : root;
  write(path.join(root, 'flake.nix'), '{ outputs = { self }: { }; }\n');
  write(path.join(root, 'flake.lock'), '{"nodes":{"root":{}},"root":"root","version":7}\n');
  write(path.join(base, 'lib/default.nix'), '{ }\n');
  for (let i = 0; i < shape.systems; i++) {
    write(path.join(base, `systems/host-${i}/default.nix`), `{ networking.hostName = "host-${i}"; }\n`);
    write(path.join(base, `systems/host-${i}/meta.json`), '{"system": "x86_64-linux"}\n');
    if (i % shape.hostHomeEvery === 0) write(path.join(base, `homes/user-0@host-${i}/default.nix`), '{ }\n');
  }
  for (let u = 0; u < shape.users; u++) {
    write(path.join(base, `homes/user-${u}/default.nix`), '{ }\n');
    write(path.join(base, `homes/user-${u}@global/default.nix`), '{ }\n');
  }
  for (let d = 0; d < shape.droids; d++) {
    write(path.join(base, `droids/user-${d}/default.nix`), '{ }\n');
    write(path.join(base, `homes/user-${d}@droid/default.nix`), '{ }\n');
  }
  for (const kind of ['nixos', 'home', 'droid']) write(path.join(base, `modules/${kind}/common.nix`), '{ }\n');
  write(path.join(base, 'overlays/default.nix'), 'final: prev: { }\n');
  write(path.join(root, 'README.md'), '# lab\n');
  return root;
}
