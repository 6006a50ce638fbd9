import type { FailedDerivation, LogStream, RunningBuild, TargetProgress, TargetStatus } from '../jobs/types';
import { ActivityType, ResultType, derivationName, parseNixLogLine, type NixLogEvent } from './internal-json';
import { displayPath, mapMessagePaths, nixErrorFromJson, parseNixErrorText, stripAnsi, type NixError } from './nix-errors';

/** Where the model sends log lines: the job's log (`ctx.log`). */
export type LogSink = (text: string, stream: LogStream) => void;

interface Activity {
  readonly type: number;
  readonly drv?: string;
  readonly name?: string;
  phase?: string;
  readonly startedAt: number;
  done: number;
  expected: number;
  running: number;
  failed: number;
}

const logTailLines = 25;
const failedBuild = /(?:builder for|Cannot build|build of) '(\/nix\/store\/[^']+\.drv)'/;

/**
 * The live state of one target's `nix build --log-format internal-json -v`: derivations
 * to build / running / done / failed, paths to download with bytes, each running build's
 * phase and the tail of each derivation's log. Feed it stderr lines; read `snapshot()`
 * whenever `dirty` says something changed (the caller throttles).
 */
export class BuildProgressModel {
  private readonly activities = new Map<number, Activity>();
  /** Finished CopyPath activities' bytes, so totals do not drop when they stop. */
  private bytesFinished = 0;
  private readonly expectedBytes = new Map<number, number>();
  private readonly logTails = new Map<string, string[]>();
  private readonly failedDrvs = new Map<string, FailedDerivation>();
  private readonly errorList: NixError[] = [];
  private readonly counters = new Map<number, Activity>();
  private sawRealise = false;
  private buildsStarted = 0;
  /** Something changed since the last snapshot. */
  dirty = true;

  constructor(
    readonly target: string,
    private readonly root: string | undefined,
    private readonly log: LogSink,
    private readonly now: () => number = Date.now,
    readonly startedAt: number = Date.now(),
  ) {}

  /** Errors nix reported (level 0 messages), in order. */
  get errors(): readonly NixError[] {
    return this.errorList;
  }

  /** Derivations whose builders failed. */
  get failures(): readonly FailedDerivation[] {
    return [...this.failedDrvs.values()];
  }

  /** Feed one line of nix's stderr. */
  feed(line: string): void {
    this.apply(parseNixLogLine(line));
  }

  apply(event: NixLogEvent): void {
    switch (event.kind) {
      case 'start':
        return this.start(event);
      case 'stop':
        return this.stop(event.id);
      case 'result':
        return this.result(event.id, event.type, event.fields);
      case 'msg':
        return this.message(event.level, event.msg, event);
      case 'text':
        if (event.text.length > 0) this.log(event.text, 'stderr');
        return;
    }
  }

  private start(event: Extract<NixLogEvent, { kind: 'start' }>): void {
    const drv = event.type === ActivityType.Build && typeof event.fields[0] === 'string' ? event.fields[0] : undefined;
    const activity: Activity = {
      type: event.type,
      ...(drv ? { drv, name: derivationName(drv) } : {}),
      startedAt: this.now(),
      done: 0,
      expected: 0,
      running: 0,
      failed: 0,
    };
    this.activities.set(event.id, activity);
    switch (event.type) {
      case ActivityType.Realise:
      case ActivityType.Builds:
      case ActivityType.CopyPaths:
        this.sawRealise = true;
        if (event.type !== ActivityType.Realise) this.counters.set(event.id, activity);
        break;
      case ActivityType.Build:
        this.sawRealise = true;
        this.buildsStarted++;
        this.log(`building ${activity.name ?? event.text}`, 'info');
        break;
      case ActivityType.Substitute:
        if (typeof event.fields[0] === 'string') this.log(`fetching ${derivationName(event.fields[0])}`, 'info');
        break;
      default:
        break;
    }
    this.dirty = true;
  }

  private stop(id: number): void {
    const activity = this.activities.get(id);
    if (!activity) return;
    // A finished copy moved all its bytes, even when its last progress report was older.
    if (activity.type === ActivityType.CopyPath) this.bytesFinished += Math.max(activity.done, activity.expected);
    // Builds/CopyPaths counters stay readable after their activity ends.
    this.activities.delete(id);
    this.dirty = true;
  }

  private result(id: number, type: number, fields: readonly (string | number)[]): void {
    const activity = this.activities.get(id);
    switch (type) {
      case ResultType.BuildLogLine:
      case ResultType.PostBuildLogLine: {
        const text = String(fields[0] ?? '');
        const name = activity?.name ?? 'build';
        this.log(`${name}> ${text}`, 'stdout');
        if (activity?.drv) this.remember(activity.drv, text);
        return;
      }
      case ResultType.SetPhase:
        if (activity) {
          activity.phase = String(fields[0] ?? '');
          this.dirty = true;
        }
        return;
      case ResultType.Progress:
        if (activity) {
          activity.done = Number(fields[0] ?? 0);
          activity.expected = Number(fields[1] ?? 0);
          activity.running = Number(fields[2] ?? 0);
          activity.failed = Number(fields[3] ?? 0);
          this.dirty = true;
        }
        return;
      case ResultType.SetExpected:
        if (fields[0] === ActivityType.CopyPath) {
          this.expectedBytes.set(id, Number(fields[1] ?? 0));
          this.dirty = true;
        }
        return;
      default:
        return;
    }
  }

  private message(level: number, msg: string, event: Extract<NixLogEvent, { kind: 'msg' }>): void {
    if (level === 0) {
      const error = event.error ? nixErrorFromJson(event.error, this.root) : parseNixErrorText(msg, this.root);
      this.errorList.push(error);
      const failed = failedBuild.exec(stripAnsi(msg));
      if (failed) this.markFailed(failed[1]!);
      if (error.location || error.trace.length > 0) {
        // One line per frame with its position: the whole trace, without nix's code snippets.
        this.log(`error: ${mapMessagePaths(error.message, this.root)}`, 'error');
        if (error.location) this.log(`  at ${displayPath(error.location, this.root)}`, 'error');
        for (const frame of error.trace) {
          this.log(`  … ${frame.message}${frame.location ? ` (${displayPath(frame.location, this.root)})` : ''}`, 'info');
        }
      } else {
        this.log(stripAnsi(msg), 'error');
      }
      this.dirty = true;
      return;
    }
    // Levels: 1 warn, 2 notice, 3 info, 4+ talkative chatter ("evaluating file ...").
    if (level <= 3) this.log(stripAnsi(msg), level === 1 ? 'stderr' : 'info');
  }

  private remember(drv: string, line: string): void {
    let tail = this.logTails.get(drv);
    if (!tail) {
      tail = [];
      this.logTails.set(drv, tail);
    }
    tail.push(line);
    if (tail.length > logTailLines) tail.shift();
  }

  private markFailed(drv: string): void {
    if (this.failedDrvs.has(drv)) return;
    this.failedDrvs.set(drv, { drv, name: derivationName(drv), logTail: [...(this.logTails.get(drv) ?? [])] });
  }

  /** Derivation counts as nix reports them (its own Builds activity), never below what was seen. */
  builds(): { done: number; running: number; failed: number; total: number } {
    let done = 0;
    let expected = 0;
    let failed = 0;
    for (const c of this.counters.values()) {
      if (c.type !== ActivityType.Builds) continue;
      done += c.done;
      expected += c.expected;
      failed += c.failed;
    }
    const running = this.runningBuilds().length;
    failed = Math.max(failed, this.failedDrvs.size);
    return { done, running, failed, total: Math.max(expected, this.buildsStarted, done + running + failed) };
  }

  /** Store paths fetched / to fetch and their bytes. */
  downloads(): { done: number; total: number; bytesDone: number; bytesTotal: number } {
    let done = 0;
    let total = 0;
    for (const c of this.counters.values()) {
      if (c.type !== ActivityType.CopyPaths) continue;
      done += c.done;
      total += c.expected;
    }
    let bytesDone = this.bytesFinished;
    for (const a of this.activities.values()) if (a.type === ActivityType.CopyPath) bytesDone += a.done;
    let bytesTotal = 0;
    for (const b of this.expectedBytes.values()) bytesTotal += b;
    // Small paths are copied without a progress report: once every path is in, all bytes are.
    if (total > 0 && done >= total) bytesDone = Math.max(bytesDone, bytesTotal);
    return { done, total, bytesDone, bytesTotal: Math.max(bytesTotal, bytesDone) };
  }

  runningBuilds(): RunningBuild[] {
    const list: RunningBuild[] = [];
    for (const a of this.activities.values()) {
      if (a.type !== ActivityType.Build || !a.drv) continue;
      list.push({ drv: a.drv, name: a.name ?? a.drv, startedAt: a.startedAt, ...(a.phase ? { phase: a.phase } : {}) });
    }
    return list;
  }

  /** The stage nix is in: evaluating until it starts realising, then building/fetching. */
  stage(): string {
    if (!this.sawRealise) return 'evaluate';
    const b = this.builds();
    const d = this.downloads();
    if (b.running === 0 && d.done < d.total) return 'download';
    return 'build';
  }

  /** The target's progress as the contract carries it; marks the model clean. */
  snapshot(status: TargetStatus = 'running', extra: Partial<TargetProgress> = {}): TargetProgress {
    this.dirty = false;
    const b = this.builds();
    const d = this.downloads();
    const running = this.runningBuilds();
    const failures = this.failures;
    const stage = this.stage();
    // The stage already says "evaluate"; the message names what is being built right now.
    const message =
      status === 'running' && running.length > 0 ? running.map((r) => `${r.name}${r.phase ? ` (${r.phase})` : ''}`).join(', ') : undefined;
    return {
      target: this.target,
      status,
      stage,
      ...(message ? { message } : {}),
      done: b.done,
      // A build that succeeded has nothing left to build; Nix 2.34's expected count runs one
      // or more ahead of what it builds (tests/fixtures/nix/README.md), so trust what was done.
      total: status === 'succeeded' ? b.done : b.total,
      failed: b.failed,
      bytesDone: d.bytesDone,
      bytesTotal: d.bytesTotal,
      downloadsDone: d.done,
      downloadsTotal: d.total,
      running,
      startedAt: this.startedAt,
      ...(failures.length > 0 ? { failedDerivations: failures } : {}),
      ...extra,
    };
  }
}
