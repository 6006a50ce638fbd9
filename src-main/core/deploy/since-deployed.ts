import { scanInventory } from '../homelab/scan';
import type { HostExec } from '../closure/listing';
import { machineIndexOf, mapChangesToMachines } from '../homelab/affected-rules';
import { changesSince, gitAt, readRepoState } from '../git/repo';
import type { ChangedFile } from '../git/types';
import type { RecordedDeploy } from './deployed-revision';

/** A commit between the deployed revision and HEAD. */
export interface CommitSummary {
  readonly hash: string;
  readonly date: string;
  readonly author: string;
  readonly subject: string;
}

/** `changes.sinceDeployed`: what changed for one host since the revision it runs. */
export interface SinceDeployedReport {
  readonly host: string;
  /** configurationRevision the host reports ("dirty" when it was deployed from a dirty tree). */
  readonly deployedRevision?: string;
  /** Where deployedRevision came from: the host itself, or the deploy history (host unreachable). */
  readonly revisionSource?: 'host' | 'history';
  /** With revisionSource 'history': the deploy that recorded it. */
  readonly recordedDeploy?: RecordedDeploy;
  readonly state: 'ok' | 'unknown' | 'dirty-deploy' | 'not-in-repository';
  readonly message?: string;
  readonly head?: string;
  readonly commits: readonly CommitSummary[];
  /** Files changed since the deployed revision (committed or not) that affect this host. */
  readonly files: readonly ChangedFile[];
  /** The host runs something else than the checkout would build (as far as the revision says). */
  readonly outOfDate?: boolean;
}

/** Parse `nixos-version --json` (configurationRevision may be absent on hosts built without a flake). */
export function parseNixosVersion(stdout: string): { configurationRevision?: string; nixosVersion?: string } {
  try {
    const parsed = JSON.parse(stdout) as { configurationRevision?: unknown; nixosVersion?: unknown };
    return {
      ...(typeof parsed.configurationRevision === 'string' && parsed.configurationRevision ? { configurationRevision: parsed.configurationRevision } : {}),
      ...(typeof parsed.nixosVersion === 'string' ? { nixosVersion: parsed.nixosVersion } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Since-deployed view of a host: read the revision it runs (`nixos-version --json` over
 * its connection), list the commits from there to HEAD and the changed files (including
 * uncommitted ones) that the layout rules tie to this host.
 */
export async function sinceDeployed(
  root: string,
  host: string,
  exec: HostExec | undefined,
  layoutRoot?: string,
  recorded?: () => RecordedDeploy | undefined,
  /** A droid ("droid:<name>"): a phone reports no revision, so the deploy history is the only source. */
  kind: 'system' | 'droid' = 'system',
): Promise<SinceDeployedReport> {
  const repo = await readRepoState(root);
  let base: Omit<SinceDeployedReport, 'state'> = { host, commits: [], files: [], ...(repo.head ? { head: repo.head } : {}) };
  let revision: string | undefined;
  const name = kind === 'droid' ? host.replace(/^droid:/, '') : host;
  if (!exec) {
    const fromHistory = recorded?.();
    if (!fromHistory) return { ...base, state: 'unknown', message: `${host} reports no revision and the deploy history has no successful deploy of it.` };
    revision = fromHistory.revision;
    base = { ...base, revisionSource: 'history', recordedDeploy: fromHistory, message: `The revision of ${host}'s last successful deploy (${fromHistory.deployId}).` };
  } else {
    try {
      const result = await exec(['nixos-version', '--json']);
      if (result.code === 0) revision = parseNixosVersion(result.stdout).configurationRevision;
      else return { ...base, state: 'unknown', message: `nixos-version failed on ${host}: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.code}`}` };
      base = { ...base, revisionSource: 'host' };
    } catch (error) {
      // Unreachable: the deploy history still knows what this app last put there.
      const fromHistory = recorded?.();
      const why = `${host} is unreachable: ${(error as Error).message}`;
      if (!fromHistory) return { ...base, state: 'unknown', message: `${why}${recorded ? ' (and the deploy history has no successful deploy of it)' : ''}` };
      revision = fromHistory.revision;
      base = { ...base, revisionSource: 'history', recordedDeploy: fromHistory, message: `${why}; using the revision of its last successful deploy (${fromHistory.deployId}).` };
    }
  }
  if (!revision) return { ...base, state: 'unknown', message: `${host} does not report a configurationRevision.` };
  if (revision === 'dirty' || revision.endsWith('-dirty')) {
    return { ...base, deployedRevision: revision, state: 'dirty-deploy', outOfDate: true, message: `${base.message ? `${base.message} ` : ''}${host} was deployed from a dirty tree, so its exact source is unknown.` };
  }
  const git = gitAt(root);
  const rev = await git.raw(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]).then((out) => out.trim(), () => '');
  if (!/^[0-9a-f]{40,64}$/.test(rev) || revision.startsWith('-')) {
    return { ...base, deployedRevision: revision, state: 'not-in-repository', outOfDate: true, message: `${revision.slice(0, 12)} is not in this repository${repo.shallow ? ' (shallow clone: run `git fetch --unshallow`)' : ' (run `git fetch`)'}.` };
  }
  const log = await git.raw(['log', '--format=%H%x09%cI%x09%an%x09%s', `${rev}..HEAD`, '--', '.']);
  const commits = log.split('\n').filter(Boolean).map((line) => {
    const [hash, date, author, ...subject] = line.split('\t');
    return { hash: hash!, date: date!, author: author!, subject: subject.join('\t') };
  });
  const changed = await changesSince(root, rev);
  const index = machineIndexOf(scanInventory(root, layoutRoot !== undefined ? { layoutRoot } : {}));
  const files = changed.filter((f) => mapChangesToMachines(index, [f]).affected.some((m) => m.kind === kind && m.name === name));
  return { ...base, deployedRevision: revision, state: 'ok', commits, files, outOfDate: files.length > 0 };
}
