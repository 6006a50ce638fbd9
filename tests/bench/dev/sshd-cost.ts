// Dev probe (not part of the bench): sshd CPU per copy, ours vs nix-copy-closure, and per connection.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassphraseCache } from '../../../src-main/core/ssh/auth';
import { SshConnection } from '../../../src-main/core/ssh/connection';
import { HostSession } from '../../../src-main/core/deploy/host-session';
import { copyClosure } from '../../../src-main/core/deploy/copy-closure';
import { startDeployWorld } from '../../integration/deploy-world';
import { buildBenchClosure } from '../deploy-closure';
import { Accounting, describeHostCpu, hostCpuOf } from '../host-cpu';

const rounds = Number(process.env.ROUNDS ?? 2);
const names = Array.from({ length: rounds }, (_, r) => [`ours-${r}`, `ncc-${r}`, `conn-${r}`]).flat();
const world = await startDeployWorld({ names });
try {
  const closure = buildBenchClosure({ count: Number(process.env.COUNT ?? 30), bytes: Number(process.env.BYTES ?? 1_500_000), salt: `dev-${Date.now()}` });
  console.log(`closure ${closure.paths} paths ${(closure.bytes / 1e6).toFixed(1)} MB`);
  const roots = () => {
    const s = new Set<number>();
    for (const h of world.lab.hosts) {
      s.add(h.holderPid);
      s.add(Number(fs.readFileSync(path.join(h.dir, 'run/sshd.pid'), 'utf8').trim()));
    }
    return s;
  };
  const open = () => SshConnection.open({ host: 'x', home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
  const measure = async (label: string, fn: () => Promise<void> | void) => {
    const acct = Accounting.start();
    const cpu = process.cpuUsage();
    const t = performance.now();
    await fn();
    const ms = performance.now() - t;
    const c = process.cpuUsage(cpu);
    const rec = acct.stop();
    const h = hostCpuOf(rec, process.pid, roots());
    console.log(`${label}: ${ms.toFixed(0)} ms, node ${((c.user + c.system) / 1000).toFixed(0)} ms, children ${h.deployerChildrenMs} ms\n   ${describeHostCpu(h)}`);
  };
  for (let r = 0; r < rounds; r++) {
    await measure(`ours-${r}`, async () => {
      const c = await SshConnection.open({ host: `ours-${r}`, home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
      try {
        await copyClosure(new HostSession(c, { kind: 'root' }), [closure.root], { env: world.env });
      } finally {
        c.close();
      }
    });
    await measure(`ncc-${r}`, () => {
      const res = spawnSync('nix-copy-closure', ['--to', `ncc-${r}`, closure.root], { env: { ...world.env, NIX_SSHOPTS: `-F ${world.lab.sshConfigPath}` } });
      if (res.status !== 0) throw new Error(String(res.stderr));
    });
    await measure(`10 ssh2 connections + 1 exec each conn-${r}`, async () => {
      for (let i = 0; i < 10; i++) {
        const c = await SshConnection.open({ host: `conn-${r}`, home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
        await c.exec(['true']);
        c.close();
      }
      await new Promise((r) => setTimeout(r, 300));
    });
    await measure(`10 openssh ssh true conn-${r}`, () => {
      for (let i = 0; i < 10; i++) spawnSync('ssh', ['-F', world.lab.sshConfigPath, `conn-${r}`, 'true']);
    });
  }
  void open;
} finally {
  await world.stop();
}
