import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { FleetError } from '../contract';
import type { JobContext } from '../jobs/jobs';
import { flakeRefFor } from '../homelab/nix-eval';
import { execOnPhone } from './phone-ssh';
import type { PhoneSession } from './phone-session';
import { droidProfile } from './generations';
import { shCommand } from './shell-quote';
import { requireNix, requireNixStore } from '../nix/runner';
import { queryPathInfo } from '../nix/path-info';

/**
 * The "build on the laptop" deploy: build the droid's activation package here (this machine
 * needs an aarch64 builder or emulation: extra-platforms aarch64-linux), send the store
 * paths the phone lacks as one `nix-store --export` stream over the SSH channel, then set the
 * Nix-on-Droid profile and run the generation's activate script on the phone.
 */

const nixFlags = ['--extra-experimental-features', 'nix-command flakes', '--option', 'extra-platforms', 'aarch64-linux'];

function runHere(program: string, args: readonly string[], job: JobContext, target: string, logStderr = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    const onAbort = () => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    };
    job.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (logStderr) for (const line of d.toString().split('\n').filter(Boolean)) job.log(line, 'stderr', target);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      job.signal.removeEventListener('abort', onAbort);
      if (job.signal.aborted) return reject(new FleetError('cancelled', 'Cancelled.'));
      if (code === 0) resolve(out);
      else reject(new FleetError('build-failed', `${program} ${args.find((a) => !a.startsWith('-') && a !== 'nix-command flakes') ?? ''} failed (exit ${code}):\n${err.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

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

/** Build here, copy the missing closure to the phone, activate. Returns the generation's store path. */
export async function buildHereAndActivate(session: PhoneSession, root: string, droid: string, job: JobContext, env: NodeJS.ProcessEnv): Promise<string> {
  const attr = `${flakeRefFor(root)}#nixOnDroidConfigurations.${droid}.activationPackage`;
  job.log(`Building ${attr} on this computer...`, 'info', droid);
  const built = JSON.parse(await runHere(requireNix(env), [...nixFlags, 'build', '--no-link', '--json', attr], job, droid)) as { outputs: { out: string } }[];
  const out = built[0]?.outputs.out;
  if (!out) throw new FleetError('build-failed', 'nix build printed no output path.');
  const info = await queryPathInfo([out], { recursive: true }, { env: env, signal: job.signal });
  const references = Object.fromEntries([...info.values()].map((p) => [p.path, p.references]));
  const closure = topologicalOrder(references);
  const check = await execOnPhone(session.ssh, shCommand(['nix-store', '--check-validity', '--print-invalid', ...closure]), { signal: job.signal });
  if (check.code !== 0) throw new FleetError('copy-failed', `Could not ask the phone's nix store: ${check.stderr.trim()}`);
  const missing = new Set(check.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  const send = closure.filter((p) => missing.has(p));
  job.log(`Copying ${send.length} of ${closure.length} store paths to the phone...`, 'info', droid);
  if (send.length > 0) {
    const exporter = spawn(requireNixStore(env), ['--export', ...send], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let exportError = '';
    exporter.stderr.on('data', (d: Buffer) => (exportError += d.toString()));
    const exported = new Promise<number | null>((resolve) => exporter.on('close', resolve));
    // Read at once: Node drops the unread output of a child that already exited.
    const stream = new PassThrough();
    exporter.stdout.pipe(stream);
    const imported = await execOnPhone(session.ssh, shCommand(['nix-store', '--import']), { signal: job.signal, input: stream });
    if ((await exported) !== 0) throw new FleetError('copy-failed', `nix-store --export failed here: ${exportError.trim()}`);
    if (imported.code !== 0) {
      const full = /No space left/i.test(imported.stderr);
      throw new FleetError(full ? 'disk-full' : 'copy-failed', `Copying the closure to the phone failed: ${imported.stderr.trim().split('\n').slice(-5).join('\n')}`);
    }
  }
  job.log('Activating on the phone...', 'info', droid);
  const activate = await execOnPhone(session.ssh, shCommand(['sh', '-c', 'nix-env --profile "$1" --set "$2" && "$2/activate"', 'sh', droidProfile, out]), {
    signal: job.signal,
    onStdout: (text) => text.split('\n').filter(Boolean).forEach((l) => job.log(l, 'stdout', droid)),
    onStderr: (text) => text.split('\n').filter(Boolean).forEach((l) => job.log(l, 'stderr', droid)),
  });
  if (activate.code !== 0) throw new FleetError('activate-failed', `Activation on the phone failed (exit ${activate.code ?? 'lost'}):\n${activate.stderr.trim().split('\n').slice(-10).join('\n')}`);
  return out;
}
