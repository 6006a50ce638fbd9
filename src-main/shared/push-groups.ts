// How a finished build's outputs are pushed to the binary cache: the Builds screen and
// `fleet build --push` group them the same way.
import type { BuildResult } from '../core/api';

/** The build host a target was built on (its store holds the build), or undefined when built here or on the host itself. */
export function buildHostOf(builtOn: string | undefined): string | undefined {
  return builtOn === undefined || builtOn === 'here' || builtOn === 'the host itself' ? undefined : builtOn;
}

/** Outputs in one store: built here (buildHost undefined) or on one build host. One cache.push each. */
export interface PushGroup {
  readonly buildHost?: string;
  readonly targets: readonly string[];
  readonly paths: readonly string[];
}

/**
 * A finished build's outputs, grouped by the store that holds them: what was built here
 * together, and what each build host built (pushed from there). Outputs built on their host
 * itself are not in a store the app pushes from; they are counted in `onHosts`.
 */
export function pushGroups(result: Partial<BuildResult> | undefined): { readonly groups: readonly PushGroup[]; readonly onHosts: readonly string[] } {
  const byStore = new Map<string, { buildHost?: string; targets: string[]; paths: string[] }>();
  const onHosts: string[] = [];
  for (const t of result?.targets ?? []) {
    if (t.status !== 'succeeded' || !t.outPath) continue;
    if (t.builtOn === 'the host itself') {
      onHosts.push(t.target);
      continue;
    }
    const buildHost = buildHostOf(t.builtOn);
    const key = buildHost ?? '';
    const group = byStore.get(key) ?? { ...(buildHost ? { buildHost } : {}), targets: [], paths: [] };
    group.targets.push(t.target);
    if (!group.paths.includes(t.outPath)) group.paths.push(t.outPath);
    byStore.set(key, group);
  }
  return { groups: [...byStore.values()], onHosts };
}

/** "from moonlight to ssh://cache", "from this computer to file:///srv/cache". */
export function pushRoute(buildHost: string | undefined, url: string): string {
  return `from ${buildHost ?? 'this computer'} to ${url}`;
}
