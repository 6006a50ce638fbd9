// Dev probe: syscalls of the host's sshd during one copy, ours vs nix-copy-closure.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassphraseCache } from '../../../src-main/core/ssh/auth';
import { SshConnection } from '../../../src-main/core/ssh/connection';
import { HostSession } from '../../../src-main/core/deploy/host-session';
import { copyClosure } from '../../../src-main/core/deploy/copy-closure';
import { startDeployWorld } from '../../integration/deploy-world';
import { buildBenchClosure } from '../deploy-closure';

const world = await startDeployWorld({ names: ['ours', 'ncc'] });
try {
  const closure = buildBenchClosure({ count: 30, bytes: 1_500_000, salt: `dev-${Date.now()}` });
  const traced = async (host: string, fn: () => Promise<void> | void) => {
    const h = world.lab.host(host);
    const master = fs.readFileSync(path.join(h.dir, 'run/sshd.pid'), 'utf8').trim();
    const out = `/tmp/speed-strace-${host}.txt`;
    const st = process.env.PERF ? spawn('perf', ['record', '-p', master, '-o', out + '.perf'], { stdio: 'ignore' }) : spawn('strace', ['-f', '-c', '-o', out, '-p', master], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1000));
    await fn();
    await new Promise((r) => setTimeout(r, 500));
    st.kill('SIGINT');
    await new Promise((r) => st.on('exit', r));
    if (process.env.PERF) console.log(`== ${host}\n` + spawnSync('sh', ['-c', `perf report -i ${out}.perf --comm sshd --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | head -25`], { encoding: 'utf8' }).stdout);
    else console.log(`== ${host}\n${fs.readFileSync(out, 'utf8').split('\n').slice(0, 14).join('\n')}`);
  };
  await traced('ours', async () => {
    const c = await SshConnection.open({ host: 'ours', home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
    try {
      await copyClosure(new HostSession(c, { kind: 'root' }), [closure.root], { env: world.env });
    } finally {
      c.close();
    }
  });
  await traced('ncc', () => {
    spawnSync('nix-copy-closure', ['--to', 'ncc', closure.root], { env: { ...world.env, NIX_SSHOPTS: `-F ${world.lab.sshConfigPath}` } });
  });
} finally {
  await world.stop();
}
