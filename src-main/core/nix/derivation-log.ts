import { FleetError } from '../contract';
import { nixErrorFromStderr } from './nix-errors';
import { runNix, type NixRunOptions } from './runner';

const maxLines = 200_000;

/**
 * A derivation's whole build log, as `nix log <drv>` prints it (nix keeps the log of every
 * local build). The builder's own "@nix {...}" progress messages are left out.
 */
export async function derivationLog(drv: string, options: NixRunOptions = {}): Promise<{ drv: string; lines: string[]; truncated: boolean }> {
  const result = await runNix(['log', drv], options);
  if (result.code !== 0) {
    if (/build log of .* is not available|does not have a known build log/i.test(result.stderr)) {
      throw new FleetError('not-found', `nix keeps no build log for ${drv}.`, {
        hint: 'It was substituted rather than built here, or its log was deleted (keep-build-log = false).',
      });
    }
    throw nixErrorFromStderr(result.stderr, { fallback: `nix log ${drv} failed` });
  }
  const all = result.stdout.replace(/\n$/, '').split('\n').filter((l) => !l.startsWith('@nix '));
  const truncated = all.length > maxLines;
  return { drv, lines: truncated ? all.slice(-maxLines) : all, truncated };
}
