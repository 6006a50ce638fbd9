import { FleetError } from '../contract';
import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { DroidDeployJobResult, deployCommands } from './contract';
import type { PhoneRouteInput } from '../android/contract';
import type { JobPlan } from '../handlers';
import { parseCacheUrl } from '../nix/cache';
import { cacheHandlers, checkoutCache } from './cache-handlers';
import { withPhoneRoutes } from './droid-stages';
import { phoneStatus } from './phone-status';
import type { DroidSelection } from './targets';
import { copyPlan } from './copy-plan';
import { runDeploy, type RebootOptions } from './deploy-run';
import { defaultRebootTimeoutSeconds } from './reboot-stage';
import { HostSession } from './host-session';
import { deployService } from './service';
import { hostStatus, lastDeploys, listGenerations, wantedSystems } from './status';
import { hostKindOf } from './target-run';
import { resolveTargets, scanForDeploy } from './targets';
import { trackedState } from '../git/tracked-state';
import type { DeployResult, DeployTargetSpec } from './types';
import { sinceDeployed } from './since-deployed';
import { recordedDeployOf } from './deployed-revision';
import { openHostExec } from '../closure/host-connection';

/** deploy.start's input, as its handler gets it. */
type DeployStartInput = Parameters<HandlersFor<typeof deployCommands>['deploy.start']>[0];
type PhoneOptions = NonNullable<DeployStartInput['phone']>;

function droidSelection(phone: PhoneOptions): DroidSelection {
  return {
    ...(phone.source ? { source: phone.source } : {}),
    ...(phone.buildOn ? { buildOn: phone.buildOn } : {}),
    ...(phone.user ? { user: phone.user } : {}),
    ...(phone.identityFile ? { identityFile: phone.identityFile } : {}),
  };
}

function routeInput(phone: PhoneOptions): PhoneRouteInput {
  return { ...(phone.serial ? { serial: phone.serial } : {}), ...(phone.host ? { host: phone.host } : {}), ...(phone.port ? { port: phone.port } : {}) };
}

/** deploy.rollback's input, as its handler gets it. */
type RollbackInput = Parameters<HandlersFor<typeof deployCommands>['deploy.rollback']>[0];

/** What `droid.deploy` and `droid.rollback` finish with: the run's result and the phone's generations before and after. */
function droidJobResult(droid: string, spec: DeployTargetSpec, result: DeployResult): DroidDeployJobResult {
  const route = spec.phone?.route;
  if (!route) throw new FleetError('failed', `No phone found for droid ${droid}.`);
  const outcome = result.outcomes[0];
  const sent = outcome?.revision;
  return {
    ...result,
    droid,
    route,
    ...(outcome?.previousGeneration !== undefined ? { before: outcome.previousGeneration } : {}),
    ...(outcome?.generation !== undefined ? { after: outcome.generation } : {}),
    ...(sent ? { revision: sent } : {}),
    ...(outcome?.reconnected ? { reconnected: true } : {}),
  };
}

/** Only systems reboot: refuse homes and droids before the job starts, naming them. */
function rebootable(specs: readonly DeployTargetSpec[], what: string): readonly DeployTargetSpec[] {
  const others = specs.filter((s) => s.kind !== 'system');
  if (others.length > 0) {
    throw new FleetError('invalid-input', `${what} reboots NixOS systems only; ${others.map((s) => s.id).join(', ')} ${others.length === 1 ? 'is not one' : 'are not'}.`, {
      hint: 'Name systems (or a @tag of systems); homes and droids are deployed without a reboot.',
    });
  }
  return specs;
}

function rebootOptionsOf(input: { parallel?: number | undefined; timeoutSeconds?: number | undefined; allAtOnce?: boolean | undefined }, only: boolean): RebootOptions {
  return { parallel: input.parallel ?? 1, timeoutSeconds: input.timeoutSeconds ?? defaultRebootTimeoutSeconds, allAtOnce: input.allAtOnce ?? false, only };
}

/** Handlers of the deploy domain's commands. */
export function deployHandlers(ctx: CoreContext): HandlersFor<typeof deployCommands> {
  const service = () => deployService(ctx);
  const inventory = () => {
    const root = ctx.root();
    return scanForDeploy(root, ctx.settings.get().layoutRoots[root]);
  };
  const resolve = (targets: readonly string[], asUser?: string, phone?: PhoneOptions): DeployTargetSpec[] => {
    const defaultBuildHost = ctx.settings.get().deploy.buildHost;
    return resolveTargets(inventory(), targets, {
      ...(asUser ? { asUser } : {}),
      ...(defaultBuildHost ? { defaultBuildHost } : {}),
      ...(phone ? { droid: droidSelection(phone) } : {}),
    });
  };

  /** The deploy job of `deploy.start` (and its droid alias): targets resolved and phones found before it starts. */
  const deployPlan = async (input: DeployStartInput, title?: string): Promise<{ plan: JobPlan<DeployResult>; specs: readonly DeployTargetSpec[] }> => {
    const root = ctx.root();
    const specs = await withPhoneRoutes(ctx, resolve(input.targets, input.asUser, input.phone), input.phone ? routeInput(input.phone) : {});
    const defaults = ctx.settings.get().deploy;
    // What the record names, and the key of the evaluated out paths (deploy/outputs.ts): one `git status`.
    const tracked = await trackedState(root);
    // A cache whose key cannot be read is left out here; `cache.get` says why.
    const cache = input.substituteOnTarget === false ? null : await checkoutCache(ctx, root).catch(() => null);
    if (input.reboot) rebootable(specs, '--reboot');
    if (input.reboot && input.mode && input.mode !== 'boot') {
      throw new FleetError('invalid-input', `--reboot makes the new generation the boot default (mode boot) and boots it; it cannot be combined with --mode ${input.mode}.`);
    }
    const plan: JobPlan<DeployResult> = {
      spec: { kind: 'deploy', title: title ?? `Deploy ${specs.map((s) => s.id).join(', ')}${input.reboot ? ' and reboot' : ''}`, targets: specs.map((s) => s.id) },
      run: (job) =>
        runDeploy(ctx, service(), job, root, specs, {
          mode: input.reboot ? 'boot' : (input.mode ?? 'switch'),
          ...(input.reboot ? { reboot: rebootOptionsOf(input.reboot, false) } : {}),
          parallel: input.parallel ?? defaults.parallel,
          keepGoing: input.keepGoing ?? true,
          canary: input.canary ?? false,
          magicRollback: input.magicRollback ?? defaults.magicRollback,
          confirmTimeoutSeconds: input.confirmTimeoutSeconds ?? defaults.confirmTimeoutSeconds,
          substituteOnTarget: input.substituteOnTarget ?? defaults.substituteOnTarget,
          ...(input.relay === false ? { relay: false } : {}),
          ...(cache ? { cache: { location: parseCacheUrl(cache.url), publicKey: cache.publicKey } } : {}),
          ...(input.force ? { force: true } : {}),
          skipChecks: input.skipChecks ?? false,
          ...(tracked?.revision ? { revision: tracked.revision } : {}),
          ...(tracked ? { dirty: tracked.dirty, tracked } : {}),
        }),
    };
    return { plan, specs };
  };

  /** The rollback job of `deploy.rollback` (and its droid alias): one target, its phone found before it starts. */
  const rollbackPlan = async (input: RollbackInput, title?: string): Promise<{ plan: JobPlan<DeployResult>; spec: DeployTargetSpec }> => {
    const root = ctx.root();
    const [spec] = await withPhoneRoutes(ctx, resolve([input.target], undefined, input.phone), input.phone ? routeInput(input.phone) : {});
    if (!spec) throw new FleetError('not-found', `No target ${input.target}.`);
    const defaults = ctx.settings.get().deploy;
    const plan: JobPlan<DeployResult> = {
      spec: { kind: 'rollback', title: title ?? `Roll back ${spec.id}${input.generation ? ` to generation ${input.generation}` : ''}`, targets: [spec.id] },
      run: (job) =>
        runDeploy(ctx, service(), job, root, [spec], {
          mode: 'switch',
          parallel: 1,
          keepGoing: true,
          canary: false,
          magicRollback: input.magicRollback ?? defaults.magicRollback,
          confirmTimeoutSeconds: input.confirmTimeoutSeconds ?? defaults.confirmTimeoutSeconds,
          substituteOnTarget: false,
          rollbackTo: input.generation ?? 'previous',
        }),
    };
    return { plan, spec };
  };

  return {
    ...cacheHandlers(ctx, (targets) => resolve(targets)),
    'deploy.start': async (input) => (await deployPlan(input)).plan,
    'droid.deploy': async ({ droid, ...phone }) => {
      // `fleet droid deploy <name>` is `fleet deploy droid:<name>`: the same job, history and events.
      const { plan, specs } = await deployPlan({ targets: [`droid:${droid}`], phone }, `Deploy droid ${droid}`);
      const spec = specs[0];
      if (!spec) throw new FleetError('failed', `No phone found for droid ${droid}.`);
      return { spec: plan.spec, run: async (job) => droidJobResult(droid, spec, await plan.run(job)) };
    },
    'deploy.reboot': (input) => {
      const root = ctx.root();
      const specs = rebootable(resolve(input.targets), 'fleet reboot');
      const defaults = ctx.settings.get().deploy;
      return {
        spec: { kind: 'reboot', title: `Reboot ${specs.map((s) => s.id).join(', ')}`, targets: specs.map((s) => s.id) },
        run: (job) =>
          runDeploy(ctx, service(), job, root, specs, {
            mode: 'boot',
            parallel: input.parallel ?? 1,
            keepGoing: input.keepGoing ?? true,
            canary: input.canary ?? false,
            magicRollback: false,
            confirmTimeoutSeconds: defaults.confirmTimeoutSeconds,
            substituteOnTarget: false,
            skipChecks: input.skipChecks ?? false,
            reboot: rebootOptionsOf(input, true),
          }),
      };
    },
    'deploy.rollback': async (input) => (await rollbackPlan(input)).plan,
    'droid.rollback': async ({ droid, generation, ...phone }) => {
      // `fleet droid rollback <name>` is a rollback of target droid:<name>: the same job, history and events.
      const { plan, spec } = await rollbackPlan(
        { target: `droid:${droid}`, ...(generation !== undefined ? { generation } : {}), phone },
        `Roll back droid ${droid}${generation ? ` to generation ${generation}` : ''}`,
      );
      return { spec: plan.spec, run: async (job) => droidJobResult(droid, spec, await plan.run(job)) };
    },
    'deploy.preflight': async (input) => {
      const specs = resolve(input.targets, input.asUser);
      const last = lastDeploys(service().history.list(200));
      const hosts = await Promise.all(
        specs.map((spec) =>
          spec.kind === 'droid' ? phoneStatus(ctx, spec, last.get(spec.id)) : hostStatus(service(), spec, { ...(last.get(spec.id) ? { last: last.get(spec.id)! } : {}) }),
        ),
      );
      return { targets: specs, hosts };
    },
    'deploy.plan': (input) => copyPlan(ctx, service(), ctx.root(), resolve(input.targets, input.asUser)),
    'changes.sinceDeployed': (input) => {
      const root = ctx.root();
      const layoutRoot = ctx.settings.get().layoutRoots?.[root];
      const inventory = scanForDeploy(root, layoutRoot);
      const spec = { kind: 'since-deployed', title: `Changes since ${input.host}'s deploy`, targets: [input.host] };
      if (input.host.startsWith('droid:')) {
        // A phone reports no configuration revision: what the deploy history recorded is the answer.
        const droid = input.host.slice(6);
        if (!inventory.droids.some((d) => d.name === droid)) throw new FleetError('not-found', `There is no droid named "${droid}" in the checkout.`);
        return { spec, run: () => sinceDeployed(root, input.host, undefined, layoutRoot, () => recordedDeployOf(ctx.dataDir, input.host, root), 'droid') };
      }
      const system = inventory.systems.find((s) => s.name === input.host);
      if (!system) throw new FleetError('not-found', `There is no system named "${input.host}" in the checkout.`);
      return {
        spec,
        run: async (job) => {
          let close: (() => void) | undefined;
          try {
            return await sinceDeployed(root, input.host, async (argv) => {
              const opened = await openHostExec(ctx, system.deploy, { jobId: job.id, signal: job.signal });
              close = opened.close;
              return opened.exec(argv);
            }, layoutRoot, () => recordedDeployOf(ctx.dataDir, input.host, root));
          } finally {
            close?.();
          }
        },
      };
    },
    'deploy.history': (input) => service().history.list(input.limit ?? 100),
    'deploy.get': (input) => {
      const record = service().history.get(input.id);
      if (!record) throw new FleetError('not-found', `No deploy with id ${input.id}.`);
      return record;
    },
    'deploy.status': async (input) => {
      const root = ctx.root();
      const specs = resolve(input.targets && input.targets.length > 0 ? input.targets : ['all']);
      const [wanted, history] = await Promise.all([
        input.evaluate === false ? Promise.resolve(new Map<string, string>()) : wantedSystems(root, { env: ctx.env, dataDir: ctx.dataDir }),
        Promise.resolve(service().history.list(500)),
      ]);
      const last = lastDeploys(history);
      const hosts = await Promise.all(
        specs.map((spec) =>
          spec.kind === 'droid'
            ? phoneStatus(ctx, spec, last.get(spec.id))
            : hostStatus(service(), spec, {
                ...(spec.kind === 'system' && wanted.get(spec.config) ? { wanted: wanted.get(spec.config)! } : {}),
                ...(last.get(spec.id) ? { last: last.get(spec.id)! } : {}),
              }),
        ),
      );
      ctx.events.emit({ type: 'deploy.hosts', hosts });
      return hosts;
    },
    'deploy.generations': async (input) => {
      const [spec] = resolve([input.target]);
      if (!spec) throw new FleetError('not-found', `No target ${input.target}.`);
      const kind = hostKindOf(spec);
      const connection = await service().connect({
        host: spec.host,
        ...(spec.user ? { user: spec.user } : {}),
        ...(spec.port ? { port: spec.port } : {}),
        connectTimeoutMs: 8000,
        acceptUnknownKeys: false,
      });
      const session = new HostSession(connection, { kind: 'root' });
      try {
        return await listGenerations(session, kind);
      } finally {
        session.close();
      }
    },
  };
}
