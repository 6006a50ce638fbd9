import { FleetError } from '../contract';
import { saysDiskFull } from '../nix/nix-errors';
import { spawnProcess } from '../process/run';
import { queryPathInfo } from '../nix/path-info';
import { requireNixStore } from '../nix/runner';
import { droidProfile } from './generations';
import type { PhoneSession } from './phone-session';

/**
 * The "build on the laptop" droid deploy's phone side: the deploy's build stage builds the
 * activation package here (with extra-platforms aarch64-linux); these send the store paths
 * the phone lacks as one `nix-store --export` stream over the phone's SSH session, then set
 * the Nix-on-Droid profile and run the generation's activate script.
 */

type Log = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => void;

/** Dependencies first, so `nix-store --import` always finds a path's references valid. */
export function topologicalOrder(references: Readonly<Record<string, readonly string[]>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: string) => {
    if (state.get(p) === 'done' || state.get(p) === 'visiting') return;
    state.set(p, 'visiting');
    for (const r of references[p] ?? []) if (r !== p && r in references) visit(r);
    state.set(p, 'done');
    order.push(p);
  };
  for (const p of Object.keys(references).sort()) visit(p);
  return order;
}

/** The closure of `out` here, dependencies first. */
async function localClosure(out: string, options: { env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<string[]> {
  const info = await queryPathInfo([out], { recursive: true }, { env: options.env, ...(options.signal ? { signal: options.signal } : {}) });
  return topologicalOrder(Object.fromEntries([...info.values()].map((p) => [p.path, p.references])));
}

/** Send the store paths of `out`'s closure the phone lacks over its SSH session. Returns how many were sent and of how many. */
export async function copyToPhone(
  session: PhoneSession,
  out: string,
  options: { env: NodeJS.ProcessEnv; signal?: AbortSignal; log: Log },
): Promise<{ sent: number; closure: number }> {
  const closure = await localClosure(out, options);
  const signal = options.signal ? { signal: options.signal } : {};
  const check = await session.connection.exec(['nix-store', '--check-validity', '--print-invalid', ...closure], signal);
  if (check.code !== 0) throw new FleetError('copy-failed', `Could not ask the phone's nix store: ${check.stderr.trim()}`);
  const missing = new Set(check.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  const send = closure.filter((p) => missing.has(p));
  options.log(`Copying ${send.length} of ${closure.length} store paths to the phone...`, 'info');
  if (send.length === 0) return { sent: 0, closure: closure.length };
  const exporter = spawnProcess(requireNixStore(options.env), ['--export', ...send], { env: options.env, ...signal });
  const exported = exporter.done.catch((error: unknown) => error as Error);
  let imported;
  try {
    imported = await session.connection.exec(['nix-store', '--import'], { ...signal, stdin: exporter.stdout });
  } finally {
    exporter.stdout.resume();
  }
  const exportResult = await exported;
  if (exportResult instanceof Error) throw exportResult;
  if (exportResult.code !== 0) throw new FleetError('copy-failed', `nix-store --export failed here: ${exportResult.stderr.trim()}`);
  if (imported.code !== 0) {
    const full = saysDiskFull(imported.stderr);
    throw new FleetError(full ? 'disk-full' : 'copy-failed', `Copying the closure to the phone failed: ${imported.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return { sent: send.length, closure: closure.length };
}

/** Make `out` the phone's Nix-on-Droid generation and run its activate script. */
export async function activateOnPhone(session: PhoneSession, out: string, options: { signal?: AbortSignal; log: Log }): Promise<void> {
  options.log('Activating on the phone...', 'info');
  const activate = await session.connection.exec(['sh', '-c', 'nix-env --profile "$1" --set "$2" && "$2/activate"', 'sh', droidProfile, out], {
    ...(options.signal ? { signal: options.signal } : {}),
    onStdoutLine: (line) => line && options.log(line, 'stdout'),
    onStderrLine: (line) => line && options.log(line, 'stderr'),
  });
  if (activate.code !== 0) {
    throw new FleetError('activate-failed', `Activation on the phone failed (exit ${activate.code ?? 'lost'}):\n${activate.stderr.trim().split('\n').slice(-10).join('\n')}`);
  }
}
