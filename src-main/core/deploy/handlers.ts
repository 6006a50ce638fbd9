import { FleetError } from '../contract';
import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { deployCommands } from './contract';
import { runDeploy } from './deploy-run';
import { HostSession } from './host-session';
import { deployService } from './service';
import { checkoutRevision, hostStatus, lastDeploys, listGenerations, wantedSystems } from './status';
import { resolveTargets, scanForDeploy } from './targets';
import type { DeployTargetSpec } from './types';

/** Handlers of the deploy domain's commands. */
export function deployHandlers(ctx: CoreContext): HandlersFor<typeof deployCommands> {
  const service = () => deployService(ctx);
  const inventory = () => {
    const root = ctx.root();
    return scanForDeploy(root, ctx.settings.get().layoutRoots[root]);
  };
  const resolve = (targets: readonly string[], asUser?: string): DeployTargetSpec[] =>
    resolveTargets(inventory(), targets, asUser ? { asUser } : {});

  return {
    'deploy.start': async (input) => {
      const root = ctx.root();
      const specs = resolve(input.targets, input.asUser);
      const defaults = ctx.settings.get().deploy;
      const revision = await checkoutRevision(root);
      return {
        spec: { kind: 'deploy', title: `Deploy ${specs.map((s) => s.id).join(', ')}`, targets: specs.map((s) => s.id) },
        run: (job) =>
          runDeploy(ctx, service(), job, root, specs, {
            mode: input.mode ?? 'switch',
            parallel: input.parallel ?? defaults.parallel,
            keepGoing: input.keepGoing ?? true,
            canary: input.canary ?? false,
            magicRollback: input.magicRollback ?? defaults.magicRollback,
            confirmTimeoutSeconds: input.confirmTimeoutSeconds ?? defaults.confirmTimeoutSeconds,
            substituteOnTarget: input.substituteOnTarget ?? defaults.substituteOnTarget,
            skipChecks: input.skipChecks ?? false,
            ...revision,
          }),
      };
    },
    'deploy.rollback': (input) => {
      const root = ctx.root();
      const [spec] = resolve([input.target]);
      if (!spec) throw new FleetError('not-found', `No target ${input.target}.`);
      const defaults = ctx.settings.get().deploy;
      return {
        spec: { kind: 'rollback', title: `Roll back ${spec.id}${input.generation ? ` to generation ${input.generation}` : ''}`, targets: [spec.id] },
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
    },
    'deploy.preflight': async (input) => {
      const specs = resolve(input.targets, input.asUser);
      const last = lastDeploys(service().history.list(200));
      const hosts = await Promise.all(specs.map((spec) => hostStatus(service(), spec, { ...(last.get(spec.id) ? { last: last.get(spec.id)! } : {}) })));
      return { targets: specs, hosts };
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
        input.evaluate === false ? Promise.resolve(new Map<string, string>()) : wantedSystems(root, ctx.env),
        Promise.resolve(service().history.list(500)),
      ]);
      const last = lastDeploys(history);
      const hosts = await Promise.all(
        specs.map((spec) =>
          hostStatus(service(), spec, {
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
      const connection = await service().connect({
        host: spec.host,
        ...(spec.user ? { user: spec.user } : {}),
        ...(spec.port ? { port: spec.port } : {}),
        connectTimeoutMs: 8000,
        acceptUnknownKeys: false,
      });
      const session = new HostSession(connection, { kind: 'root' });
      try {
        return await listGenerations(session, spec.kind);
      } finally {
        session.close();
      }
    },
  };
}
