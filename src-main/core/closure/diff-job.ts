import { FleetError } from '../contract';
import type { CoreContext } from '../context';
import type { JobContext } from '../jobs/jobs';
import { buildTargets, type BuildHostBuilds, type BuildHostRoot } from '../nix/build';
import { configurationTarget, type BuildTarget } from '../nix/targets';
import type { NixRunOptions } from '../nix/runner';
import { scanInventory } from '../homelab/scan';
import { gitAt, resolveRevision } from '../git/repo';
import { hostClosureWithRoot, localClosure } from './listing';
import { diffAgainstHost, reportOf, type ClosureDiffReport, type ClosureSide, type ListedSide } from './report';
import type { ClosureEntry } from './types';
import { openHostExec } from './host-connection';
import { diffHomeAgainstHost } from './home-host';
import { homeOnHost } from '../homelab/home-on-host';
import { parseBuildHost } from '../homelab/names';
import { droidBuildOptions, nixOptionsFromEnv } from '../nix/nix-options';

/** What to compare: a machine against its host or a revision, or two store paths. */
export interface ClosureDiffRequest {
  /** "moonlight", "system:moonlight", "home:soriphoono", "droid:soriphoono". */
  readonly machine?: string;
  /** Compare the working tree's build with this revision's build instead of the running host. */
  readonly base?: string;
  /** Two local store paths (generations, builds) to compare. */
  readonly from?: string;
  readonly to?: string;
  /** The path on the host to compare with (default /run/current-system). */
  readonly hostPath?: string;
  /** For "home:<config>@<host>": the user whose home it is on the host (default: the config's name); for a droid: the phone's login user. */
  readonly asUser?: string;
  /** For a droid: the phone's adb serial (default: the connected phone linked to the droid). */
  readonly serial?: string;
  /** For a droid: the private key for the phone's sshd. */
  readonly identityFile?: string;
}

type Kind = 'system' | 'home' | 'droid';

/** The machine a closure diff builds; `onHost` ("<config>@<host>") for a home compared with its host. */
export interface ClosureMachine {
  readonly kind: Kind;
  readonly name: string;
  readonly onHost?: string;
}

/** Split "kind:name" (kind defaults to system). */
export function parseMachine(spec: string): { kind: Kind; name: string } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { kind: 'system', name: spec };
  const kind = spec.slice(0, colon);
  if (kind !== 'system' && kind !== 'home' && kind !== 'droid') {
    throw new FleetError('invalid-input', `"${kind}" is not a machine kind; use system:, home: or droid:.`);
  }
  return { kind, name: spec.slice(colon + 1) };
}

/** Check the request against the checkout before the job starts; answers the machine to build. */
export function validateClosureRequest(root: string, request: ClosureDiffRequest, layoutRoot?: string): ClosureMachine | undefined {
  if (request.from || request.to) {
    if (!request.from || !request.to) throw new FleetError('invalid-input', 'Give both `from` and `to` store paths.');
    return undefined;
  }
  if (!request.machine) throw new FleetError('invalid-input', 'Name a machine (e.g. moonlight or home:soriphoono), or give `from` and `to`.');
  const parsed = parseMachine(request.machine);
  const inventory = scanInventory(root, layoutRoot !== undefined ? { layoutRoot } : {});
  // "home:<config>@<host>": a standalone home as deployed to a host (checked like a deploy target).
  const homeTarget = parsed.kind === 'home' && parsed.name.includes('@') ? homeOnHost(inventory, parsed.name, request.asUser) : undefined;
  if (request.asUser && !homeTarget && parsed.kind !== 'droid') throw new FleetError('invalid-input', '`asUser` goes with a home on a host (home:<config>@<host>) or a droid.');
  if ((request.serial || request.identityFile) && parsed.kind !== 'droid') throw new FleetError('invalid-input', '`serial` and `identityFile` go with a droid (droid:<name>).');
  const machine = homeTarget ? { kind: 'home' as const, name: homeTarget.config } : parsed;
  const names = machine.kind === 'system' ? inventory.systems.map((s) => s.name) : machine.kind === 'home' ? inventory.standaloneHomes.map((h) => h.name) : inventory.droids.map((d) => d.name);
  if (!names.includes(machine.name)) {
    throw new FleetError('not-found', `There is no ${machine.kind} named "${machine.name}" in the checkout.`, { hint: names.length ? `Known: ${names.join(', ')}` : undefined });
  }
  if (!request.base && machine.kind === 'home' && !homeTarget) {
    throw new FleetError('invalid-input', `Comparing home ${machine.name} with what a host runs needs the host: home:${machine.name}@<host>; or compare with a revision (base).`);
  }
  return homeTarget ? { ...machine, onHost: request.machine.slice('home:'.length) } : machine;
}

/** A build host to build on, the way to build there, and which root keeps the build there. */
interface OnBuildHost {
  readonly name: string;
  readonly builds: BuildHostBuilds;
  readonly root: BuildHostRoot;
}

async function buildOne(target: BuildTarget, root: string, job: JobContext, nix: NixRunOptions, onBuildHost?: OnBuildHost): Promise<string> {
  const result = await buildTargets([target], {
    ...nix,
    root,
    signal: job.signal,
    log: (text, stream, t) => job.log(text, stream, t),
    onProgress: (p) => job.progress(p),
    ...(onBuildHost
      ? { elsewhere: { buildHosts: new Map([[target.label, onBuildHost.name]]), build: (runs, options) => onBuildHost.builds.build(runs, options, job, onBuildHost.root) } }
      : {}),
  });
  const built = result.targets[0];
  if (!built || built.status !== 'succeeded' || !built.outPath) {
    throw new FleetError('build-failed', `Building ${target.label} failed: ${built?.error?.message ?? 'no output'}`, built?.error?.location ? { location: built.error.location } : {});
  }
  return built.outPath;
}

/**
 * A build of a system that names a build host (the working tree's, or a revision's): built
 * there (the deploy's own build-host path) and its closure listed there, so nothing of it
 * comes to this machine. A revision's build keeps its own root there (`<system>@revision`),
 * so comparing with it leaves the root of the build the next deploy copies alone.
 */
async function builtOnBuildHost(
  ctx: CoreContext,
  target: BuildTarget,
  side: { readonly label: string; readonly source: 'working-tree' | 'revision' },
  root: string,
  job: JobContext,
  nix: NixRunOptions,
  on: Omit<OnBuildHost, 'root'>,
): Promise<ListedSide & { storePath: string }> {
  const name = on.name;
  const storePath = await buildOne(target, root, job, nix, { ...on, root: side.source === 'revision' ? 'revision' : 'system' });
  const { host, user } = parseBuildHost(name);
  const opened = await openHostExec(ctx, { host, ...(user ? { user } : {}) }, { jobId: job.id, signal: job.signal });
  try {
    const { entries } = await hostClosureWithRoot(opened.exec, storePath);
    return { label: `${side.label} (built on ${name})`, source: side.source, storePath, builtOn: name, entries };
  } finally {
    opened.close();
  }
}

/** A build target for a configuration at a git revision: nix fetches that commit itself. */
async function targetAtRevision(root: string, target: BuildTarget, rev: string): Promise<BuildTarget> {
  const git = gitAt(root);
  const top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
  const prefix = (await git.raw(['rev-parse', '--show-prefix'])).trim().replace(/\/$/, '');
  const query = new URLSearchParams({ rev, ...(prefix ? { dir: prefix } : {}) });
  return { ...target, label: `${target.label}@${rev.slice(0, 7)}`, installable: `git+file://${top}?${query.toString()}#${target.attrPath}` };
}

/** How to reach the phone a droid runs on (the same choices as `droid.deploy`). */
export interface PhoneReach {
  /** adb serial; default: the one connected phone linked to the droid. */
  readonly serial?: string;
  /** Login user of the phone's sshd (default nix-on-droid). */
  readonly user?: string;
  /** Private key for the phone's sshd (default: the agent and ~/.ssh keys). */
  readonly identityFile?: string;
}

/** A closure side already built and listed here: what the running machine is compared with. */
export interface LocalSide {
  readonly label: string;
  readonly source: ClosureSide['source'];
  readonly storePath: string;
  readonly entries: readonly ClosureEntry[];
}

/**
 * Compares a droid's local build with the generation its phone runs. Phones are reached
 * through android/, which sits above closure/, so the core passes this in (core.ts).
 */
export type DroidAgainstPhone = (
  ctx: CoreContext,
  droid: string,
  newSide: LocalSide,
  reach: PhoneReach,
  options: { readonly jobId?: string; readonly signal?: AbortSignal; readonly profile?: string; readonly log?: (text: string) => void },
) => Promise<ClosureDiffReport>;

/** Run a closure diff: build what is needed, list both closures, compare. */
export async function runClosureDiff(
  ctx: CoreContext,
  job: JobContext,
  root: string,
  request: ClosureDiffRequest,
  machine: ClosureMachine | undefined,
  layoutRoot: string | undefined,
  diffDroidAgainstPhone: DroidAgainstPhone,
  buildHosts?: BuildHostBuilds,
): Promise<ClosureDiffReport> {
  let nix: NixRunOptions = { env: ctx.env, signal: job.signal };
  const started = performance.now();
  if (!machine) {
    const [a, b] = await Promise.all([localClosure(request.from!, nix), localClosure(request.to!, nix)]);
    return reportOf({ label: request.from!, source: 'path', storePath: request.from!, entries: a }, { label: request.to!, source: 'path', storePath: request.to!, entries: b }, started);
  }
  const target = configurationTarget(machine.kind, machine.name);
  if (machine.kind === 'droid') nix = { ...nix, options: droidBuildOptions(nixOptionsFromEnv(ctx.env)) };
  // A system with a build host is built and listed there (both sides of a comparison with a
  // revision too), against its running host or the revision (see builtOnBuildHost).
  const buildHost = machine.kind === 'system' ? buildHosts?.of([target], root).get(target.label) : undefined;
  const onBuildHost = buildHost && buildHosts ? { name: buildHost, builds: buildHosts } : undefined;
  let newSide: ListedSide & { storePath: string };
  if (onBuildHost) {
    job.log(`building ${target.attrPath} from the working tree on its build host ${onBuildHost.name}; its closure stays there`);
    newSide = await builtOnBuildHost(ctx, target, { label: 'working tree', source: 'working-tree' }, root, job, nix, onBuildHost);
  } else {
    job.log(`building ${target.attrPath} from the working tree`);
    const newPath = await buildOne(target, root, job, nix);
    newSide = { label: 'working tree', source: 'working-tree', storePath: newPath, entries: await localClosure(newPath, nix) };
  }
  if (request.base) {
    const rev = await resolveRevision(root, request.base);
    const label = `${request.base} (${rev.slice(0, 7)})`;
    const atRevision = await targetAtRevision(root, target, rev);
    if (onBuildHost) {
      job.log(`building ${target.attrPath} at ${rev.slice(0, 12)} on its build host ${onBuildHost.name}; its closure stays there`);
      const oldSide = await builtOnBuildHost(ctx, atRevision, { label, source: 'revision' }, root, job, nix, onBuildHost);
      return reportOf(oldSide, newSide, started, { kind: machine.kind, name: machine.name });
    }
    job.log(`building ${target.attrPath} at ${rev.slice(0, 12)}`);
    const oldPath = await buildOne(atRevision, root, job, nix);
    const oldEntries = await localClosure(oldPath, nix);
    return reportOf({ label, source: 'revision', storePath: oldPath, entries: oldEntries }, newSide, started, { kind: machine.kind, name: machine.name });
  }
  const inventory = scanInventory(root, layoutRoot !== undefined ? { layoutRoot } : {});
  if (machine.kind === 'droid') {
    const reach = { ...(request.serial ? { serial: request.serial } : {}), ...(request.asUser ? { user: request.asUser } : {}), ...(request.identityFile ? { identityFile: request.identityFile } : {}) };
    const report = await diffDroidAgainstPhone(ctx, machine.name, newSide, reach, { jobId: job.id, signal: job.signal, ...(request.hostPath ? { profile: request.hostPath } : {}), log: (text) => job.log(text) });
    if (report.old.state === 'unknown') job.log(`phone closure unknown: ${report.old.error}`, 'stderr');
    return report;
  }
  if (machine.onHost) {
    const spec = homeOnHost(inventory, machine.onHost, request.asUser);
    const report = await diffHomeAgainstHost(ctx, spec, newSide, { jobId: job.id, signal: job.signal, machine: { kind: 'home', name: machine.onHost }, log: (text) => job.log(text) });
    if (report.old.state === 'unknown') job.log(`home closure unknown: ${report.old.error}`, 'stderr');
    return report;
  }
  const system = inventory.systems.find((s) => s.name === machine.name);
  if (!system) throw new FleetError('not-found', `There is no system named "${machine.name}".`);
  let close: (() => void) | undefined;
  job.log(`listing the closure of ${request.hostPath ?? '/run/current-system'} on ${system.deploy.host}`);
  try {
    const report = await diffAgainstHost(
      async () => {
        const opened = await openHostExec(ctx, system.deploy, { jobId: job.id, signal: job.signal });
        close = opened.close;
        return opened.exec;
      },
      `${machine.name} (running)`,
      newSide,
      { machine: { kind: machine.kind, name: machine.name }, ...(request.hostPath ? { hostPath: request.hostPath } : {}) },
    );
    if (report.old.state === 'unknown') job.log(`host closure unknown: ${report.old.error}`, 'stderr');
    return report;
  } finally {
    close?.();
  }
}
