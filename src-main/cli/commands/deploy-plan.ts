import type { DeployCopyPlan } from '../../core/deploy/contract';
import type { CliSession } from '../core-session';
import { printJson, terminalText } from '../output';
import { formatBytes } from '../../shared/units';

/** `fleet deploy --plan`: where each target is built and where its closure would come from; nothing is changed. */
export async function printDeployPlan(session: CliSession, targets: readonly string[], asUser: string | undefined, json: boolean): Promise<number> {
  const plan = (await session.call('deploy.plan', { targets: [...targets], ...(asUser ? { asUser } : {}) })) as DeployCopyPlan;
  if (json) {
    printJson(plan);
    return 0;
  }
  const out = process.stdout;
  out.write(plan.cache ? `binary cache: ${terminalText(plan.cache.url)} (hosts must trust ${terminalText(plan.cache.publicKey)})\n` : 'no binary cache set: hosts get their closures from here or their build host\n');
  const amount = (a?: { paths: number; bytes: number }) => (a ? `${a.paths} paths, ${formatBytes(a.bytes)}` : '-');
  for (const t of plan.targets) {
    const trust = !t.cache ? '' : t.cache.trustsKey && t.cache.usesCache ? ', trusts the cache' : t.cache.trustsKey ? ', trusts the key but does not list the cache' : ', does not trust the cache key';
    out.write(`${terminalText(t.target).padEnd(20)} built ${t.builtOn === 'here' ? 'here' : t.builtOn === 'the host itself' ? 'on the host itself' : `on ${terminalText(t.builtOn)}`}${t.online ? trust : ', offline'}\n`);
    if (t.closure) {
      out.write(`  closure ${amount(t.closure)}: on the host ${amount(t.onHost)} · from the cache ${amount(t.fromCache)} · from the build host ${amount(t.fromBuildHost)} · from here ${amount(t.fromHere)}\n`);
    }
    out.write(`  ${terminalText(t.summary)}\n`);
  }
  return plan.targets.every((t) => t.online) ? 0 : 1;
}
