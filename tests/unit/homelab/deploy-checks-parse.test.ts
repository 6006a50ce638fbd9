import { describe, expect, it } from 'vitest';
import { checkLabel, parseDeployChecks } from '../../../src-main/core/homelab/deploy-checks';
import { deployTargetOf } from '../../../src-main/core/homelab/meta';

const file = 'systems/moonlight/meta.json';

describe('meta.json deploy.checks is validated at the edge', () => {
  it('reads unit, command and http checks with defaults', () => {
    const { checks, error } = parseDeployChecks(
      [{ unit: 'nginx.service' }, { command: ['curl', '-fsS', 'http://localhost:8080/health'], timeout: 5 }, { http: 'https://moonlight.lan/health', status: 204 }, { http: 'http://10.0.0.2:8080/' }],
      file,
    );
    expect(error).toBeUndefined();
    expect(checks).toEqual([
      { kind: 'unit', unit: 'nginx.service', timeoutSeconds: 15 },
      { kind: 'command', command: ['curl', '-fsS', 'http://localhost:8080/health'], timeoutSeconds: 5 },
      { kind: 'http', url: 'https://moonlight.lan/health', status: 204, timeoutSeconds: 15 },
      { kind: 'http', url: 'http://10.0.0.2:8080/', status: 200, timeoutSeconds: 15 },
    ]);
    expect(checks.map(checkLabel)).toEqual(['unit nginx.service', 'command curl -fsS http://localhost:8080/health', 'http https://moonlight.lan/health → 204', 'http http://10.0.0.2:8080/ → 200']);
  });

  it('names the file and the field of every mistake', () => {
    const cases: [unknown, string][] = [
      [{ unit: 'x' }, `${file}: deploy.checks must be a list`],
      [[{ unit: 'nginx.service', command: ['true'] }], `${file}: deploy.checks[0] must have exactly one of "unit", "command" or "http" (it has unit and command)`],
      [[{ status: 200 }], 'deploy.checks[0] must have exactly one of'],
      [['nginx'], 'deploy.checks[0] must be an object'],
      [[{ unit: 'ok.service' }, { unit: 'bad name; rm -rf /' }], 'deploy.checks[1].unit must be a unit name'],
      [[{ unit: '--now' }], 'deploy.checks[0].unit cannot start with "-"'],
      [[{ command: [] }], 'deploy.checks[0].command must name a program'],
      [[{ command: 'curl localhost' }], 'deploy.checks[0].command must be a list of strings'],
      [[{ command: ['curl', 3] }], 'deploy.checks[0].command[1] must be a list of strings'],
      [[{ http: 'ftp://moonlight/x' }], 'deploy.checks[0].http must be an http:// or https:// URL'],
      [[{ http: 'https://user:pw@moonlight/x' }], 'deploy.checks[0].http must be an http:// or https:// URL with a host and no user or password'],
      [[{ http: 'https://moonlight/x', status: 999 }], 'deploy.checks[0].status must be from 100 to 599'],
      [[{ http: 'https://moonlight/x', status: '200' }], 'deploy.checks[0].status must be an HTTP status code'],
      [[{ unit: 'a.service', timeout: 0 }], 'deploy.checks[0].timeout must be at least 1 second'],
      [[{ unit: 'a.service', retries: 3 }], 'deploy.checks[0] has an unknown field "retries"'],
    ];
    for (const [raw, expected] of cases) {
      const result = parseDeployChecks(raw, file);
      expect(result.checks).toEqual([]);
      expect(result.error, JSON.stringify(raw)).toContain(expected);
      expect(result.error).toMatch(/^systems\/moonlight\/meta\.json: /);
    }
  });

  it('a system with wrong checks is not deployed until they are fixed, with an error in the inventory', () => {
    const { deploy, warnings } = deployTargetOf('moonlight', { deploy: { checks: [{ unit: 'nginx.service', status: 200 }] } }, file, 'system:moonlight');
    expect(deploy.refused).toContain('deploy.checks[0] has an unknown field "status"');
    expect(warnings).toEqual([expect.objectContaining({ severity: 'error', path: file, message: expect.stringContaining('deploy.checks[0]') })]);
    expect(deployTargetOf('moonlight', { deploy: { checks: [{ unit: 'nginx.service' }] } }, file, 'system:moonlight').deploy.checks).toHaveLength(1);
  });
});
