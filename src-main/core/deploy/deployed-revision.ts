import { DeployHistory } from './history';
import type { DeployRecord } from './types';

/** The revision the deploy history says a host got, when the host itself cannot be asked. */
export interface RecordedDeploy {
  /** git HEAD of the checkout when it was deployed; "<rev>-dirty" when the tree had changes. */
  readonly revision: string;
  readonly deployId: string;
  /** Milliseconds since the epoch when that deploy finished (or started). */
  readonly at: number;
}

/**
 * The last deploy in `records` (newest first, as DeployHistory.list gives them) that
 * succeeded on `target` ("moonlight", or "home:soriphoono@zephyrus") and recorded its
 * revision. Deploys of this checkout (`root`) win over deploys of another copy of it.
 */
export function lastDeployedRevision(records: readonly DeployRecord[], target: string, root?: string): RecordedDeploy | undefined {
  const succeeded = records.filter((r) => r.revision && r.outcomes.some((o) => o.target === target && o.status === 'succeeded'));
  const pick = (root !== undefined ? succeeded.find((r) => r.root === root) : undefined) ?? succeeded[0];
  if (!pick?.revision) return undefined;
  const at = pick.finishedAt ?? pick.startedAt;
  // A droid its phone built got exactly what was sent: a commit (clean, even from a dirty
  // checkout), or the working tree as it was then (a dirty deploy of that commit).
  const sent = pick.outcomes.find((o) => o.target === target)?.revision;
  if (sent === 'worktree') return { revision: `${pick.revision}-dirty`, deployId: pick.id, at };
  if (sent) return { revision: sent, deployId: pick.id, at };
  return { revision: pick.dirty ? `${pick.revision}-dirty` : pick.revision, deployId: pick.id, at };
}

/** Read the deploy history of a data folder and answer the last deployed revision of `target`. */
export function recordedDeployOf(dataDir: string, target: string, root?: string): RecordedDeploy | undefined {
  return lastDeployedRevision(new DeployHistory(dataDir).list(100_000), target, root);
}
