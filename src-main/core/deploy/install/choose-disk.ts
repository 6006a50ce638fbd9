import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../../contract';
import type { FileDiff } from '../../git/file-diff';
import { proposedFileDiff } from '../../git/proposed-diff';
import { gitAt } from '../../git/repo';
import { insideGit } from '../../homelab/scan';
import { writeFileAtomic } from '../../settings/atomic-file';
import { diskoDevices, setDiskoDevice } from './hardware-files';

/** What pointing disko.nix at a disk did (or, previewed, would do). */
export interface DiskChoice {
  /** Relative to the checkout. */
  readonly file: string;
  readonly device: string;
  /** The device disko.nix named before. */
  readonly previous: string;
  /** False for a preview: nothing was written. */
  readonly written: boolean;
  readonly diff: FileDiff;
}

/**
 * Point a system's disko.nix (one disk) at `device`, keeping the rest of the file, and
 * `git add` it; with `preview` only answer the diff.
 */
export async function chooseInstallDisk(root: string, systemDir: string, device: string, preview: boolean): Promise<DiskChoice> {
  const file = path.join(root, systemDir, 'disko.nix');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new FleetError('not-found', `${systemDir} has no disko.nix: the install needs a disk layout (https://github.com/nix-community/disko).`);
  }
  const previous = diskoDevices(text)[0] ?? '';
  const next = setDiskoDevice(text, device);
  const rel = `${systemDir}/disko.nix`;
  if (!preview) {
    writeFileAtomic(file, next, fs.statSync(file).mode & 0o777);
    if (insideGit(root)) await gitAt(root).raw(['add', '--', path.relative(root, file)]);
  }
  return { file: rel, device, previous, written: !preview, diff: proposedFileDiff(rel, text, next) };
}
