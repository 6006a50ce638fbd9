import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, connectBridge, makeHomelab, runFleet, startServe, waitFor, writeFiles, type CliRun } from './world';

interface Warning {
  readonly message: string;
  readonly path?: string;
}
interface InventoryJson {
  readonly systems: readonly { readonly name: string; readonly meta: object; readonly warnings: readonly Warning[] }[];
  readonly secrets: readonly { readonly path: string; readonly rule?: string }[];
  readonly warnings: readonly Warning[];
}

const deepBrackets = (n: number) => `{ "a.age".publicKeys = ${'['.repeat(n)}; }\n`;
const manyEntries = (n: number) => `{\n${Array.from({ length: n }, (_, i) => `  "s${i}.age".publicKeys = [ "age1x" ];\n`).join('')}}\n`;
const longName = `${'a'.repeat(60)}!.yaml`;
const regexWarning = `No .sops.yaml creation rule matches secrets/${longName}.`;

// Issue 13 case 6 (and the cases already handled: alias bombs, deep trees, symlink loops):
// one booby-trapped checkout, scanned by the real CLI, then watched by the real server.
describe('a hostile checkout cannot stop or hang the app', () => {
  let cli: CliRun;
  let inventory: InventoryJson;
  const messages = () => [...inventory.warnings, ...inventory.systems.flatMap((s) => s.warnings)].map((w) => w.message);

  beforeAll(async () => {
    const homelab = makeHomelab({
      'secrets.nix': deepBrackets(200_000),
      'secrets/secrets.nix': manyEntries(1_000_000),
      '.sops.yaml': 'creation_rules:\n  - path_regex: (a+)+$\n    age: age1x\n',
      [`secrets/${longName}`]: 'value: ENC[x]\nsops:\n  age:\n    - recipient: age1x\n',
      'systems/fifo/default.nix': '{ ... }: { }\n',
      'systems/fifo/meta.json': { fifo: true },
      'systems/deep/default.nix': '{ ... }: { }\n',
      'systems/deep/meta.json': `{"deploy": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      'systems/huge/default.nix': '{ ... }: { }\n',
      'systems/loop': { symlink: 'loop' },
    });
    // 100 MB without writing 100 MB: a sparse file is as big to stat and to read.
    fs.writeFileSync(path.join(homelab, 'systems/huge/meta.json'), '{');
    fs.truncateSync(path.join(homelab, 'systems/huge/meta.json'), 100 * 1024 * 1024);
    let deep = path.join(homelab, 'secrets');
    for (let i = 0; i < 400; i++) deep = path.join(deep, 'd');
    writeFiles(deep, { 'deep.secrets.yaml': 'x: 1\n' });
    cli = await runFleet(['--flake', homelab, 'inventory', '--no-eval', '--json']);
    inventory = JSON.parse(cli.stdout) as InventoryJson;
  });
  afterAll(() => cleanUp());

  it('the scan finishes and exits 0 with everything else listed', () => {
    expect(cli.code).toBe(0);
    expect(inventory.systems.map((s) => s.name)).toEqual(['deep', 'fifo', 'huge', 'web']);
  });

  it('a secrets.nix nested 200,000 levels deep is a warning, not a RangeError', () => {
    expect(messages()).toContainEqual(expect.stringContaining('secrets.nix could not be read statically (nesting deeper than'));
  });

  it('a secrets.nix with 1,000,000 entries is not parsed (size cap), only warned about', () => {
    expect(messages()).toContainEqual(expect.stringMatching(/secrets\/secrets\.nix is \d+ bytes, more than the \d+ bytes the app reads/));
  });

  it('a path_regex with catastrophic backtracking, (a+)+$, is tried in linear time against a long file name it does not match', () => {
    // A backtracking engine takes 2^60 steps here; RE2 answers "no match" at once.
    expect(inventory.secrets.find((s) => s.path === `secrets/${longName}`)).toBeDefined();
    expect(JSON.stringify(inventory)).toContain(regexWarning);
  });

  it('a FIFO named meta.json is not opened for reading (which would block forever)', () => {
    expect(messages()).toContainEqual(expect.stringContaining('systems/fifo/meta.json is not a regular file'));
  });

  it('a 100 MB meta.json is not read, and not sent to clients', () => {
    expect(messages()).toContainEqual(expect.stringContaining('systems/huge/meta.json is 104857600 bytes'));
    expect(cli.stdout.length).toBeLessThan(2_000_000);
  });

  it('a meta.json nested 100,000 levels deep is refused before it reaches JSON.stringify', () => {
    expect(messages()).toContainEqual(expect.stringContaining('systems/deep/meta.json nests more than'));
    expect(inventory.systems.find((s) => s.name === 'deep')?.meta).toEqual({});
  });

  it('a symlink loop and a 400-level folder tree are warnings or skipped, never a crash', () => {
    expect(messages()).toContainEqual(expect.stringContaining('systems/loop is a symlink loop'));
  });
});

describe('the server keeps serving while a hostile checkout changes under its watcher', () => {
  afterAll(() => cleanUp());

  it('a deep secrets.nix written after start becomes a warning event; a YAML alias bomb and a FIFO meta.json are warnings', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'creation_rules: *j', ''].join('\n');
    const homelab = makeHomelab({ '.sops.yaml': bomb, 'secrets/x.yaml': 'a: 1\n', 'systems/fifo/default.nix': '{ ... }: { }\n', 'systems/fifo/meta.json': { fifo: true } });
    const served = await startServe({ flake: homelab });
    const bridge = await connectBridge(served);
    try {
      const first = await bridge.call('inventory.get', {});
      expect(first.ok).toBe(true);
      const text = JSON.stringify(first);
      expect(text).toContain('.sops.yaml cannot be read');
      expect(text).toContain('systems/fifo/meta.json is not a regular file');

      // The watcher starts with the first inventory.get and reads the folder in the background:
      // write again until it has seen the file (a write before it is ready counts as initial).
      let writes = 0;
      await waitFor(() => {
        if (writes++ % 40 === 0) fs.writeFileSync(path.join(homelab, 'secrets.nix'), deepBrackets(200_000 + writes));
        return bridge.events.some((e) => e.type === 'inventory.changed' && JSON.stringify(e).includes('nesting deeper than'));
      }, 'an inventory.changed event with the deep secrets.nix warning');
      fs.writeFileSync(path.join(homelab, 'systems/deep.json'), `${'['.repeat(500_000)}`);
      expect(served.alive()).toBe(true);
      expect(await bridge.call('inventory.get', {})).toMatchObject({ ok: true });
    } finally {
      bridge.close();
      await served.close();
    }
  });
});

describe('a failure inside the watcher callback', () => {
  afterAll(() => cleanUp());

  it('goes to onError (the service turns it into a warning event), never out of the timer', async () => {
    const { watchCheckout } = await import('../../src-main/core/homelab/watch');
    const homelab = makeHomelab();
    const errors: unknown[] = [];
    const watcher = watchCheckout(
      homelab,
      () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
      { onError: (error) => errors.push(error) },
    );
    try {
      let writes = 0;
      await waitFor(() => {
        if (writes++ % 40 === 0) fs.writeFileSync(path.join(homelab, `touched-${writes}.nix`), '{ }\n');
        return errors.length > 0;
      }, 'the watcher to report the failure');
      expect(errors[0]).toBeInstanceOf(RangeError);
    } finally {
      await watcher.close();
    }
  });
});
