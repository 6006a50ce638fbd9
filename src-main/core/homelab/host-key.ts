import * as path from 'node:path';
import { readCheckoutFile } from '../checkout/read-file';
import { FleetError } from '../contract';
import { ageRecipientOf } from '../ssh/age-recipient';
import { fingerprintSha256 } from '../ssh/known-hosts';
import type { InventoryWarning } from './types';

/** The file beside a system where `fleet install` records the host key it made. */
export const hostKeyFileName = 'ssh_host_ed25519_key.pub';

/** A system's recorded SSH host key, as the inventory shows it. */
export interface SystemHostKey {
  /** Relative to the checkout. */
  readonly file: string;
  /** ssh-ed25519 AAAA... */
  readonly publicKey: string;
  readonly fingerprint: string;
  /** Its age recipient (as ssh-to-age derives it), for .sops.yaml. */
  readonly ageRecipient: string;
}

/**
 * systems/<name>/ssh_host_ed25519_key.pub, when the system folder has one: the key, its
 * fingerprint and age recipient; a file that is not one ed25519 key is a warning.
 */
export function readSystemHostKey(root: string, folder: string, relFolder: string, item: string): { readonly hostKey?: SystemHostKey; readonly warnings: readonly InventoryWarning[] } {
  const rel = `${relFolder}/${hostKeyFileName}`;
  const read = readCheckoutFile(root, path.join(folder, hostKeyFileName), 16 * 1024);
  if (!read.ok) return { warnings: [{ severity: 'warning', item, path: rel, message: `${rel} ${read.detail}` }] };
  const line = read.text.trim();
  try {
    const [type, blob] = line.split(/\s+/);
    const ageRecipient = ageRecipientOf(line);
    return { hostKey: { file: rel, publicKey: `${type} ${blob}`, fingerprint: fingerprintSha256(Buffer.from(blob ?? '', 'base64')), ageRecipient }, warnings: [] };
  } catch (error) {
    const message = error instanceof FleetError ? error.message : String(error);
    return { warnings: [{ severity: 'warning', item, path: rel, message: `${rel} is not one ssh-ed25519 public key: ${message}` }] };
  }
}
