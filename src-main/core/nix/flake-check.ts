import { FleetError } from '../contract';
import type { JobProgress, LogStream } from '../jobs/types';
import { BuildProgressModel } from './build-progress';
import { bestLocation, parseNixErrorText, toFleetError } from './nix-errors';
import { runNix, type NixRunOptions } from './runner';

/** What a `nix flake check` job finishes with. */
export interface FlakeCheckResult {
  readonly ok: true;
  readonly durationMs: number;
  /** Derivations the checks built. */
  readonly built: number;
  /** Warnings nix printed (unknown outputs, ...). */
  readonly warnings: readonly string[];
}

export interface FlakeCheckOptions extends NixRunOptions {
  readonly root: string;
  readonly log?: (text: string, stream: LogStream, target: string) => void;
  readonly onProgress?: (progress: JobProgress) => void;
  readonly progressIntervalMs?: number;
}

const label = 'flake check';

/**
 * Run `nix flake check` on the checkout with live progress (the same model as builds).
 * A failing check throws a FleetError naming the failed derivation or the evaluation
 * error with its location in the checkout.
 */
export async function checkFlake(options: FlakeCheckOptions): Promise<FlakeCheckResult> {
  const started = Date.now();
  const warnings: string[] = [];
  const log = (text: string, stream: LogStream) => {
    if (stream === 'stderr' && /^warning:/.test(text)) warnings.push(text.replace(/^warning:\s*/, ''));
    options.log?.(text, stream, label);
  };
  const model = new BuildProgressModel(label, options.root, log, Date.now, started);
  const emit = (status: 'running' | 'succeeded' | 'failed') => {
    const t = model.snapshot(status, status === 'running' ? {} : { finishedAt: Date.now() });
    const fraction = status === 'running' ? (t.total ? Math.min(0.99, (t.done ?? 0) / t.total) : 0) : 1;
    options.onProgress?.({ fraction, label, targets: [t], builds: model.builds(), downloads: model.downloads() });
  };
  const timer = setInterval(() => model.dirty && emit('running'), options.progressIntervalMs ?? 50);
  try {
    const args = ['flake', 'check', '--log-format', 'internal-json', '-v', '--show-trace'];
    const result = await runNix(args, { ...options, cwd: options.root, onStderrLine: (line) => model.feed(line) });
    if (result.code !== 0) {
      emit('failed');
      const failure = model.failures[0];
      if (failure) {
        for (const f of model.failures) log(`${f.name} failed; its full build log: nix log ${f.drv}`, 'error');
        throw new FleetError('check-failed', `flake check: ${failure.name} failed to build.`, {
          hint: `Last lines of its log are in the job log; the whole log: nix log ${failure.drv}`,
        });
      }
      const errors = model.errors.length > 0 ? model.errors : [parseNixErrorText(result.stderr, options.root)];
      const best = errors.find((e) => bestLocation(e, options.root)) ?? errors[0]!;
      throw toFleetError(best, options.root, 'check-failed', 'flake check: ');
    }
    emit('succeeded');
    return { ok: true, durationMs: Date.now() - started, built: model.builds().done, warnings };
  } finally {
    clearInterval(timer);
  }
}
