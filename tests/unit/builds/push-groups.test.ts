import { describe, expect, it } from 'vitest';
import type { TargetBuildResult } from '../../../src-main/core/api';
import { pushGroups, pushRoute } from '../../../src-main/shared/push-groups';

const out = (name: string) => `/nix/store/${'a'.repeat(32)}-${name}`;
const target = (t: string, builtOn: string | undefined, status: TargetBuildResult['status'] = 'succeeded'): TargetBuildResult =>
  ({ target: t, kind: 'system', attrPath: t, status, outPath: out(t), built: 1, durationMs: 1, ...(builtOn ? { builtOn } : {}) }) as TargetBuildResult;

describe('push to cache: one push per store', () => {
  it('groups outputs built here together and each build host on its own; failed targets and built-on-target ones are not pushed', () => {
    const { groups, onHosts } = pushGroups({
      targets: [target('zephyrus', 'here'), target('tv-box', 'moonlight'), target('nas', undefined), target('pi', 'moonlight'), target('broken', 'here', 'failed'), target('router', 'the host itself')],
    });
    expect(groups).toEqual([
      { targets: ['zephyrus', 'nas'], paths: [out('zephyrus'), out('nas')] },
      { buildHost: 'moonlight', targets: ['tv-box', 'pi'], paths: [out('tv-box'), out('pi')] },
    ]);
    expect(onHosts).toEqual(['router']);
  });

  it('nothing built, nothing to push', () => {
    expect(pushGroups(undefined)).toEqual({ groups: [], onHosts: [] });
  });

  it('says where each push goes from and to', () => {
    expect(pushRoute('moonlight', 'ssh://cache')).toBe('from moonlight to ssh://cache');
    expect(pushRoute(undefined, 'file:///srv/cache')).toBe('from this computer to file:///srv/cache');
  });
});
