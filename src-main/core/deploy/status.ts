import { toWireError } from '../contract';
import { evaluatedOutputs } from './outputs';
import { bootStateOf } from './boot-state';
import { HostSession } from './host-session';
import { generationsScript, keyValues, probeScript } from './remote-scripts';
import type { DeployService } from './service';
import type { DeployRecord, DeployTargetSpec, Generation, HostStatus } from './types';

/**
 * What the checkout builds for each system now (no build; one evaluation, shared with deploys
 * through the cache of outputs.ts). Throws when nix cannot be started, so the caller says why
 * "out of date" is unknown; a flake that does not evaluate gives an empty map, as before.
 */
export async function wantedSystems(root: string, options: { env: NodeJS.ProcessEnv; dataDir: string; signal?: AbortSignal }): Promise<Map<string, string>> {
  const outputs = await evaluatedOutputs(root, { ...options, kinds: new Set(['system']) });
  return new Map(Object.entries(outputs?.system ?? {}));
}

/**
 * Read one host's status: what it runs, its generation and configurationRevision. Never
 * asks a question (an unknown host key reads as "not checked"), never throws.
 */
export async function hostStatus(
  service: DeployService,
  spec: DeployTargetSpec,
  extra: { wanted?: string; last?: DeployRecord },
  signal?: AbortSignal,
): Promise<HostStatus> {
  const base = {
    target: spec.id,
    host: spec.host,
    ...(extra.wanted ? { wantedSystem: extra.wanted } : {}),
    ...lastDeployOf(spec.id, extra.last),
    checkedAt: Date.now(),
  };
  let session: HostSession | undefined;
  try {
    const connection = await service.connect({
      host: spec.host,
      ...(spec.user ? { user: spec.user } : {}),
      ...(spec.port ? { port: spec.port } : {}),
      connectTimeoutMs: 5000,
      acceptUnknownKeys: false,
      ...(signal ? { signal } : {}),
    });
    session = new HostSession(connection, { kind: 'root' });
    const probe = await session.script(probeScript, [spec.kind, spec.kind === 'system' ? '/nix/var/nix/profiles/system' : '', '', '1']);
    const facts = keyValues(probe.stdout);
    const current = facts.get('current') || undefined;
    let version: { nixosVersion?: string; configurationRevision?: string } = {};
    try {
      version = JSON.parse(facts.get('version') || '{}') as typeof version;
    } catch {
      // an old nixos-version without --json
    }
    const generation = facts.get('generation');
    const lock = facts.get('lock');
    return {
      ...base,
      online: true,
      ...(current ? { currentSystem: current } : {}),
      ...(generation ? { generation: Number(generation) } : {}),
      ...(version.configurationRevision ? { configurationRevision: version.configurationRevision } : {}),
      ...(version.nixosVersion ? { nixosVersion: version.nixosVersion } : {}),
      ...(extra.wanted ? { outOfDate: current !== extra.wanted } : {}),
      ...(lock ? { lock } : {}),
      ...bootStateOf(facts),
    };
  } catch (error) {
    return { ...base, online: false, error: toWireError(error).message };
  } finally {
    session?.close();
  }
}

function lastDeployOf(target: string, record?: DeployRecord): Pick<HostStatus, 'lastDeploy'> {
  if (!record) return {};
  const outcome = record.outcomes.find((o) => o.target === target);
  if (!outcome) return {};
  return { lastDeploy: { id: record.id, status: record.status === 'interrupted' ? 'interrupted' : outcome.status, at: record.finishedAt ?? record.startedAt } };
}

/** The newest deploy in the history that included each target. */
export function lastDeploys(history: readonly DeployRecord[]): Map<string, DeployRecord> {
  const map = new Map<string, DeployRecord>();
  for (const record of history) for (const t of record.targets) if (!map.has(t)) map.set(t, record);
  return map;
}

/** The generations of a profile on a host, newest first. */
export async function listGenerations(session: HostSession, kind: 'system' | 'home'): Promise<Generation[]> {
  const result = await session.script(generationsScript, [kind, kind === 'system' ? '/nix/var/nix/profiles/system' : '']);
  let current: number | undefined;
  const gens: Generation[] = [];
  for (const line of result.stdout.split('\n')) {
    const cur = /^current (\d+)$/.exec(line.trim());
    if (cur) {
      current = Number(cur[1]);
      continue;
    }
    const m = /^(\d+) (\/nix\/store\/\S+) (\d+)$/.exec(line.trim());
    if (m) gens.push({ number: Number(m[1]), path: m[2]!, current: false, createdAt: Number(m[3]) });
  }
  return gens.map((g) => ({ ...g, current: g.number === current })).sort((a, b) => b.number - a.number);
}
