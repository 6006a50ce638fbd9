import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProcess } from '../process/run';

/** How one flake input moved between two flake.lock files. */
export interface LockInputChange {
  readonly input: string;
  readonly change: 'updated' | 'added' | 'removed';
  readonly type?: string;
  /** owner/repo, or the URL, whichever the lock has. */
  readonly source?: string;
  readonly oldRev?: string;
  readonly newRev?: string;
  /** ISO dates from lastModified. */
  readonly oldDate?: string;
  readonly newDate?: string;
  /** GitHub/GitLab page comparing the two revisions. */
  readonly compareUrl?: string;
}

/** `flake.lockDiff`: the lock's inputs that differ. */
export interface LockDiff {
  readonly changes: readonly LockInputChange[];
  /** Set when a side could not be read or parsed. */
  readonly problem?: string;
}

interface LockedRef {
  readonly type?: string;
  readonly owner?: string;
  readonly repo?: string;
  readonly host?: string;
  readonly url?: string;
  readonly rev?: string;
  readonly narHash?: string;
  readonly lastModified?: number;
}

type LockNodes = Record<string, { locked?: LockedRef; original?: LockedRef } | undefined>;

function nodesOf(text: string | undefined): LockNodes | undefined {
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as { nodes?: LockNodes; root?: string };
  const nodes = { ...(parsed.nodes ?? {}) };
  delete nodes[parsed.root ?? 'root'];
  return nodes;
}

function dateOf(epoch: number | undefined): string | undefined {
  return typeof epoch === 'number' ? new Date(epoch * 1000).toISOString() : undefined;
}

function sourceOf(ref: LockedRef): string | undefined {
  if (ref.owner && ref.repo) return `${ref.owner}/${ref.repo}`;
  return ref.url;
}

/** The web page comparing two revisions of a GitHub or GitLab input. */
export function compareUrlOf(ref: LockedRef, oldRev: string, newRev: string): string | undefined {
  if (!ref.owner || !ref.repo) return undefined;
  const owner = encodeURIComponent(ref.owner);
  const repo = encodeURIComponent(ref.repo);
  if (ref.type === 'github') return `https://${ref.host ?? 'github.com'}/${owner}/${repo}/compare/${oldRev}...${newRev}`;
  if (ref.type === 'gitlab') return `https://${ref.host ?? 'gitlab.com'}/${owner}/${repo}/-/compare/${oldRev}...${newRev}`;
  return undefined;
}

/** Compare two flake.lock texts input by input (undefined: the file does not exist on that side). */
export function diffLocks(oldText: string | undefined, newText: string | undefined): LockDiff {
  let before: LockNodes;
  let after: LockNodes;
  try {
    before = nodesOf(oldText) ?? {};
    after = nodesOf(newText) ?? {};
  } catch (error) {
    return { changes: [], problem: `flake.lock is not valid JSON: ${(error as Error).message}` };
  }
  const changes: LockInputChange[] = [];
  for (const input of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const o = before[input]?.locked;
    const n = after[input]?.locked;
    if (o && n && o.rev === n.rev && o.narHash === n.narHash && o.lastModified === n.lastModified) continue;
    const ref = n ?? o ?? {};
    const base = { input, ...(ref.type ? { type: ref.type } : {}), ...(sourceOf(ref) ? { source: sourceOf(ref)! } : {}) };
    if (!o && n) changes.push({ ...base, change: 'added', ...(n.rev ? { newRev: n.rev } : {}), ...(dateOf(n.lastModified) ? { newDate: dateOf(n.lastModified)! } : {}) });
    else if (o && !n) changes.push({ ...base, change: 'removed', ...(o.rev ? { oldRev: o.rev } : {}), ...(dateOf(o.lastModified) ? { oldDate: dateOf(o.lastModified)! } : {}) });
    else if (o && n) {
      const url = o.rev && n.rev ? compareUrlOf(n, o.rev, n.rev) : undefined;
      changes.push({
        ...base,
        change: 'updated',
        ...(o.rev ? { oldRev: o.rev } : {}),
        ...(n.rev ? { newRev: n.rev } : {}),
        ...(dateOf(o.lastModified) ? { oldDate: dateOf(o.lastModified)! } : {}),
        ...(dateOf(n.lastModified) ? { newDate: dateOf(n.lastModified)! } : {}),
        ...(url ? { compareUrl: url } : {}),
      });
    }
  }
  return { changes };
}

/** flake.lock at a revision (undefined when it is not there). */
export async function lockAtRevision(root: string, rev: string): Promise<string | undefined> {
  const result = await runProcess('git', ['show', `${rev}:./flake.lock`], { cwd: root });
  return result.code === 0 ? result.stdout : undefined;
}

/** flake.lock in the working tree (undefined when there is none). */
export function lockInWorkingTree(root: string): string | undefined {
  try {
    return fs.readFileSync(path.join(root, 'flake.lock'), 'utf8');
  } catch {
    return undefined;
  }
}
