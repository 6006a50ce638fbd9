import * as fs from 'node:fs';
import * as path from 'node:path';
import { isThisProcess, processState, thisProcess, type ProcessIdentity } from '../process/identity';
import type { DeployRecord, TargetOutcome } from './types';

type HistoryLine =
  | { readonly t: 'start'; readonly record: DeployRecord; readonly owner?: ProcessIdentity }
  | { readonly t: 'outcome'; readonly id: string; readonly outcome: TargetOutcome }
  | { readonly t: 'end'; readonly record: DeployRecord };

/**
 * Every deploy, appended to deploys.jsonl in the data folder: its start, each target's stage
 * changes, its end. The data folder is shared by the desktop app, `fleet` and `fleet serve`,
 * so the start line names the process running the deploy. Each line is written before the call returns (a crash or kill of the app
 * keeps it: it is in the kernel), and fsync'd off the event loop right after, coalesced, so
 * a 20-host deploy does not stall on a hundred synchronous disk flushes. A deploy whose end
 * line is missing is running while its process runs; once that process is gone it was cut
 * short and reads back as "interrupted" at the stage each target had reached.
 */
export class DeployHistory {
  private readonly file: string;
  /** Deploys started by this process and not yet ended. */
  private readonly live = new Set<string>();
  private flushing = false;
  private dirty = false;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'deploys.jsonl');
  }

  private append(line: HistoryLine): void {
    const fd = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(line) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    this.flush();
  }

  /** fsync the file in the background; lines written meanwhile get one more fsync after it. */
  private flush(): void {
    if (this.flushing) {
      this.dirty = true;
      return;
    }
    this.flushing = true;
    this.dirty = false;
    fs.open(this.file, 'r', (error, fd) => {
      if (error) return this.flushed();
      fs.fsync(fd, () => fs.close(fd, () => this.flushed()));
    });
  }

  private flushed(): void {
    this.flushing = false;
    if (this.dirty) this.flush();
  }

  start(record: DeployRecord): void {
    this.live.add(record.id);
    this.append({ t: 'start', record, owner: thisProcess() });
  }

  outcome(id: string, outcome: TargetOutcome): void {
    this.append({ t: 'outcome', id, outcome });
  }

  end(record: DeployRecord): void {
    this.live.delete(record.id);
    this.append({ t: 'end', record });
  }

  /** Is this deploy running in this process? */
  isLive(id: string): boolean {
    return this.live.has(id);
  }

  /** All deploys, newest first. Torn lines (a crash mid-write) are skipped. */
  list(limit = 100): DeployRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const byId = new Map<string, { record: DeployRecord; ended: boolean; owner?: ProcessIdentity; outcomes: Map<string, TargetOutcome> }>();
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: HistoryLine;
      try {
        line = JSON.parse(raw) as HistoryLine;
      } catch {
        continue;
      }
      if (line.t === 'start' && line.record?.id) {
        byId.set(line.record.id, { record: line.record, ended: false, ...(line.owner ? { owner: line.owner } : {}), outcomes: new Map() });
      } else if (line.t === 'outcome') {
        byId.get(line.id)?.outcomes.set(line.outcome.target, line.outcome);
      } else if (line.t === 'end' && line.record?.id) {
        byId.set(line.record.id, { record: line.record, ended: true, outcomes: new Map() });
      }
    }
    const records = [...byId.values()].map(({ record, ended, owner, outcomes }) => {
      if (ended) return record;
      const merged = record.outcomes.map((o) => outcomes.get(o.target) ?? o);
      // Running here, or in another process that still runs (the CLI beside `fleet serve`).
      if (this.live.has(record.id) || (owner && !isThisProcess(owner) && processState(owner) === 'alive')) return { ...record, outcomes: merged };
      return {
        ...record,
        status: 'interrupted' as const,
        outcomes: merged.map((o) => (o.status === 'running' || o.status === 'pending' ? { ...o, status: 'failed' as const, message: `interrupted during ${o.stage ?? 'start'}` } : o)),
      };
    });
    return records.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
  }

  get(id: string): DeployRecord | undefined {
    return this.list(100_000).find((r) => r.id === id || r.jobId === id);
  }
}
