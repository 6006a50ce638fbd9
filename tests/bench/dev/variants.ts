// Dev probe: host sshd CPU of our copy under transport variants (packet size, Nagle).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassphraseCache } from '../../../src-main/core/ssh/auth';
import { SshConnection } from '../../../src-main/core/ssh/connection';
import { HostSession } from '../../../src-main/core/deploy/host-session';
import { copyClosure } from '../../../src-main/core/deploy/copy-closure';
import { startDeployWorld } from '../../integration/deploy-world';
import { buildBenchClosure } from '../deploy-closure';
import { Accounting, hostCpuOf } from '../host-cpu';

type Variant = { name: string; pkt?: number; nagle?: boolean; win?: number };
const variants: Variant[] = [{ name: 'default' }, { name: 'win128k', win: 131072 }, { name: 'win256k', win: 262144 }, { name: 'win512k', win: 524288 }, { name: 'win1m', win: 1048576 }];
const rounds = Number(process.env.ROUNDS ?? 1);
const names = Array.from({ length: rounds }, (_, r) => variants.map((v) => `${v.name}-${r}`)).flat();
const world = await startDeployWorld({ names });
try {
  const closure = buildBenchClosure({ count: 30, bytes: 1_500_000, salt: `dev-${Date.now()}` });
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const host = `${v.name}-${r}`;
      const h = world.lab.host(host);
      const roots = new Set([h.holderPid, Number(fs.readFileSync(path.join(h.dir, 'run/sshd.pid'), 'utf8').trim())]);
      const acct = Accounting.start();
      const c0 = process.cpuUsage();
      const t = performance.now();
      const c = await SshConnection.open({ host, home: world.home, appKnownHosts: path.join(world.dataDir, 'known_hosts'), passphrases: new PassphraseCache(), askUnknownKey: async () => true });
      const client = (c as unknown as { client: { setNoDelay(b: boolean): void; _protocol: { channelData: (id: number, d: Buffer) => void } } }).client;
      if (v.nagle) client.setNoDelay(false);
      const proto = client._protocol;
      const orig = proto.channelData.bind(proto);
      const sizes: number[] = [];
      proto.channelData = (id, d) => {
        sizes.push(d.length);
        orig(id, d);
      };
      const session = new HostSession(c, { kind: 'root' });
      if (v.pkt || v.win) {
        const spawn = c.spawn.bind(c);
        c.spawn = async (argv) => {
          const ch = await spawn(argv);
          const o = (ch as unknown as { outgoing: { packetSize: number; window: number } }).outgoing;
          if (v.pkt) o.packetSize = v.pkt;
          if (v.win) {
            console.log(`  window given ${o.window}`);
            o.window = Math.min(o.window, v.win);
          }
          return ch;
        };
      }
      try {
        await copyClosure(session, [closure.root], { env: world.env });
      } finally {
        c.close();
      }
      const ms = performance.now() - t;
      const cu = process.cpuUsage(c0);
      await new Promise((res) => setTimeout(res, 300));
      const hc = hostCpuOf(acct.stop(), process.pid, roots);
      const small = sizes.filter((s) => s < 4096).length;
      console.log(`${v.name}: ${ms.toFixed(0)} ms; sshd ${hc.byClass.sshd} ms, nix-store ${hc.byClass.nix} ms; node ${((cu.user + cu.system) / 1000).toFixed(0)} ms; ${sizes.length} data packets (${small} < 4 KiB), max ${Math.max(...sizes)}`);
    }
  }
} finally {
  await world.stop();
}
