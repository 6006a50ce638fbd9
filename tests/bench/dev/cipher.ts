// Dev probe: host sshd CPU to take 100 MB through `cat > /dev/null`, per cipher and client.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDeployWorld } from '../../integration/deploy-world';
import { Accounting, hostCpuOf } from '../host-cpu';
import ssh2 from 'ssh2';

const world = await startDeployWorld({ names: ['c1'] });
try {
  const file = '/tmp/speed-100mb';
  if (!fs.existsSync(file)) spawnSync('head', ['-c', '100000000', '/dev/urandom'], { stdio: ['ignore', fs.openSync(file, 'w'), 'inherit'] });
  const h = world.lab.host('c1');
  const roots = new Set([h.holderPid, Number(fs.readFileSync(path.join(h.dir, 'run/sshd.pid'), 'utf8').trim())]);
  const measure = async (label: string, fn: () => Promise<void> | void) => {
    const acct = Accounting.start();
    const t = performance.now();
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    const ms = performance.now() - t;
    const r = hostCpuOf(acct.stop(), process.pid, roots);
    console.log(`${label}: ${ms.toFixed(0)} ms; host sshd ${r.byClass.sshd} ms; node ${((c.user + c.system) / 1000).toFixed(0)} ms; ssh client ${r.deployerChildrenMs} ms`);
  };
  for (const cipher of ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com']) {
    await measure(`openssh ${cipher}`, () => {
      spawnSync('ssh', ['-F', world.lab.sshConfigPath, '-c', cipher, 'c1', 'cat > /dev/null'], { stdio: [fs.openSync(file, 'r'), 'ignore', 'inherit'] });
    });
  }
  const key = fs.readFileSync(world.lab.identityFile);
  for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr']) {
    for (const chunk of [32 * 1024, 1024 * 1024]) {
      await measure(`ssh2 ${cipher} writes of ${chunk / 1024} KiB`, async () => {
        const client = new ssh2.Client();
        await new Promise<void>((resolve, reject) => {
          client.on('ready', resolve).on('error', reject);
          client.connect({ host: h.address, port: 22, username: 'root', privateKey: key, algorithms: { cipher: [cipher as never] } });
        });
        client.setNoDelay(true);
        await new Promise<void>((resolve, reject) => {
          client.exec('cat > /dev/null', (err, ch) => {
            if (err) return reject(err);
            ch.on('close', () => resolve());
            ch.resume();
            const data = fs.readFileSync(file);
            let p = 0;
            const pump = () => {
              while (p < data.length) {
                const ok = ch.write(data.subarray(p, p + chunk));
                p += chunk;
                if (!ok) return void ch.once('drain', pump);
              }
              ch.end();
            };
            pump();
          });
        });
        client.end();
      });
    }
  }
} finally {
  await world.stop();
}
