import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';

/**
 * Phones' host keys used to be remembered in <data>/android/known_hosts.json as
 * { "<name>": "SHA256:<fingerprint>" }, apart from every other host. They now live in the
 * app's one known_hosts. A fingerprint cannot be turned back into the key known_hosts
 * needs, so each entry moves over the first time its phone shows its key: the same
 * fingerprint is trusted without asking (and written to known_hosts as a full key), a
 * different one is refused as a changed key, exactly as before. The file goes when empty.
 */
export function legacyPhoneKeysFile(dataDir: string): string {
  return path.join(dataDir, 'android', 'known_hosts.json');
}

function read(file: string): Record<string, string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

function write(file: string, entries: Record<string, string>): void {
  if (Object.keys(entries).length === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(entries, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
}

/**
 * What the old file says about the key `name` presents, for the session layer's
 * `vouchForKey`: true (same fingerprint: moved to known_hosts now, gone from the file),
 * a thrown 'host-key-changed' (another fingerprint), or undefined (not in the file: ask).
 */
export function vouchFromLegacyFile(dataDir: string, name: string): (fingerprint: string) => boolean | undefined {
  return (fingerprint) => {
    const file = legacyPhoneKeysFile(dataDir);
    const entries = read(file);
    const known = entries[name];
    if (known === undefined) return undefined;
    if (known !== fingerprint) {
      throw new FleetError('host-key-changed', `The phone's SSH host key changed (${name}): expected ${known}, got ${fingerprint}. Refusing to connect.`, {
        hint: `If you reinstalled Nix-on-Droid or regenerated its key, remove "${name}" from ${file}.`,
      });
    }
    const rest = { ...entries };
    delete rest[name];
    write(file, rest);
    return true;
  };
}
