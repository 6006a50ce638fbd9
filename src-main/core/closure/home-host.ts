import type { CoreContext } from '../context';
import { FleetError } from '../contract';
import type { HomeOnHost } from '../homelab/home-on-host';
import type { HostExec } from './listing';
import { openHostExec } from './host-connection';
import { diffAgainstHost, type ClosureDiffReport, type ClosureSide } from './report';
import type { ClosureEntry } from './types';

/**
 * Where a standalone home's profile lives on its host, found as the user who owns it. The
 * deploy writes /nix/var/nix/profiles/per-user/<user>/home-manager when that folder is the
 * user's to write, else ~/.local/state/nix/profiles/home-manager (remote-scripts.ts); this
 * takes the same first choice and falls back to the other one when only that one exists
 * (a home installed by hand). A constant script: no data is spliced into it.
 */
export const homeProfileScript = `
u=$(id -un)
per="/nix/var/nix/profiles/per-user/$u/home-manager"
own="$HOME/.local/state/nix/profiles/home-manager"
if [ -d "/nix/var/nix/profiles/per-user/$u" ] && [ -w "/nix/var/nix/profiles/per-user/$u" ]; then first=$per; second=$own
else first=$own; second=$per; fi
for p in "$first" "$second"; do
  if [ -e "$p" ]; then echo "$p"; exit 0; fi
done
echo "$u has no Home Manager profile ($first)" >&2
exit 3
`;

/** Find a home's profile on its host; throws FleetError('not-found') when the user has none. */
export async function hostHomeProfile(exec: HostExec): Promise<string> {
  const result = await exec(['sh', '-c', homeProfileScript, 'fleet']);
  const found = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !found.startsWith('/')) {
    const why = result.stderr.trim().split('\n').pop() || `exit ${result.code}`;
    throw new FleetError(result.code === 3 ? 'not-found' : 'failed', `Could not find the Home Manager profile on the host: ${why}`, {
      hint: result.code === 3 ? 'Deploy the home first (fleet deploy home:<config>@<host>).' : undefined,
    });
  }
  return found;
}

/**
 * Compare a home's local build with the generation its host runs: connect as the home's
 * user, find the profile, list its closure in one command. An unreachable host or a home
 * never deployed there gives an "unknown" old side, as for systems.
 */
export async function diffHomeAgainstHost(
  ctx: CoreContext,
  spec: HomeOnHost,
  newSide: { label: string; source: ClosureSide['source']; storePath: string; entries: readonly ClosureEntry[] },
  options: { readonly jobId?: string; readonly signal?: AbortSignal; readonly machine?: ClosureDiffReport['machine']; readonly log?: (text: string) => void } = {},
): Promise<ClosureDiffReport> {
  const started = performance.now();
  const label = `${spec.config} as ${spec.user} on ${spec.host} (running)`;
  let close: (() => void) | undefined;
  try {
    let exec: HostExec;
    let profile: string;
    try {
      const opened = await openHostExec(
        ctx,
        { host: spec.host, user: spec.user, ...(spec.port ? { port: spec.port } : {}) },
        { ...(options.jobId ? { jobId: options.jobId } : {}), ...(options.signal ? { signal: options.signal } : {}) },
      );
      close = opened.close;
      exec = opened.exec;
      profile = await hostHomeProfile(exec);
    } catch (error) {
      return {
        ...(options.machine ? { machine: options.machine } : {}),
        old: { label, source: 'host', state: 'unknown', error: (error as Error).message },
        new: { label: newSide.label, source: newSide.source, storePath: newSide.storePath, state: 'ok', paths: newSide.entries.length, bytes: newSide.entries.reduce((s, e) => s + e.narSize, 0) },
        durationMs: Math.round(performance.now() - started),
      };
    }
    options.log?.(`listing the closure of ${profile} on ${spec.host}`);
    return await diffAgainstHost(async () => exec, label, newSide, { hostPath: profile, ...(options.machine ? { machine: options.machine } : {}) });
  } finally {
    close?.();
  }
}
