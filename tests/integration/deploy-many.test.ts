import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomeOf, startDeployWorld, type DeployWorld } from './deploy-world';

const extra = ['host-05', 'host-06', 'host-07', 'host-08', 'host-09', 'host-10'];
const all = ['zephyrus', 'lg-laptop', 'moonlight', 'docker-node', ...extra];

/** Six more systems in the checkout copy, tagged @extra, so every lab host has a configuration. */
function addExtraSystems(dir: string): void {
  // tv-box builds on moonlight and has no lab host here: the build-host tests deploy it.
  fs.rmSync(path.join(dir, 'systems', 'tv-box'), { recursive: true });
  for (const name of extra) {
    const target = path.join(dir, 'systems', name);
    fs.cpSync(path.join(dir, 'systems', 'lg-laptop'), target, { recursive: true });
    const file = path.join(target, 'default.nix');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/networking\.hostName = "[^"]*";/, `networking.hostName = "${name}";`));
    fs.writeFileSync(path.join(target, 'meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { tags: ['extra'] } }));
  }
}

// The 4 systems of flake/ plus 6 extra hosts in one deploy, tags, canary, stop-on-failure,
// and a Home Manager home deployed as a user.
describe('deploy many hosts', () => {
  let world: DeployWorld;
  beforeAll(async () => {
    world = await startDeployWorld({ names: all, editCheckout: addExtraSystems });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('deploys all 10 hosts in parallel, each on its own system, logs kept apart', async () => {
    const { job, record, events } = await world.deploy({ targets: ['all'], parallel: 4 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(record?.outcomes).toHaveLength(10);
    for (const name of all) {
      const outcome = outcomeOf(record, name);
      expect(outcome.status).toBe('succeeded');
      expect(await world.lab.host(name).currentSystem()).toBe(outcome.outPath);
    }
    // Every activation line names its host.
    const lines = events.flatMap((e) => (e.type === 'job.log' ? e.lines : []));
    const activating = lines.filter((l) => l.text === 'activating the configuration...');
    expect(new Set(activating.map((l) => l.target))).toEqual(new Set(all));
    // Hosts beyond the 4 copy slots wait after the one shared build: their build stage ends
    // with the build, and the wait shows as a gap before their copy, not as build time.
    const stage = (name: string, which: string) => outcomeOf(record, name).stages.find((st) => st.name === which)!;
    const buildsEnded = Math.max(...all.map((name) => stage(name, 'build').finishedAt!));
    const firstCopy = Math.min(...all.map((name) => stage(name, 'copy').startedAt));
    expect(buildsEnded).toBeLessThanOrEqual(firstCopy);
    // Likewise pre-flight ends with each host's own connect and probe, before the build starts.
    for (const name of all) expect(stage(name, 'preflight').finishedAt).toBeLessThanOrEqual(stage(name, 'build').startedAt);
  });

  it('copies to the next hosts while earlier ones activate; --parallel 1 still switches one host at a time', async () => {
    const names = extra.slice(0, 3);
    // Activations that take a while (as systemd restarts do), so the overlap is not by chance.
    for (const name of names) await world.lab.host(name).setActivationDelay(2);
    try {
      const { job, record } = await world.deploy({ targets: names, parallel: 1, force: true });
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      const spans = names.map((name) => {
        const stages = outcomeOf(record, name).stages;
        const copy = stages.find((st) => st.name === 'copy');
        const activate = stages.find((st) => st.name === 'activate');
        expect(copy, `${name} has a copy stage`).toBeDefined();
        expect(activate, `${name} has an activate stage`).toBeDefined();
        return { name, copyStart: copy!.startedAt, switchStart: activate!.startedAt, switchEnd: stages.at(-1)!.finishedAt! };
      });
      // One host switches at a time, in the order named...
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]!.switchStart, `${spans[i]!.name} switched while ${spans[i - 1]!.name} was switching`).toBeGreaterThanOrEqual(spans[i - 1]!.switchEnd);
      }
      // ...and the next host's copy ran while the one before it was still switching.
      expect(spans[1]!.copyStart).toBeLessThan(spans[0]!.switchEnd);
      expect(spans[2]!.copyStart).toBeLessThan(spans[1]!.switchEnd);
    } finally {
      for (const name of names) await world.lab.host(name).setActivationDelay(0);
    }
  });

  it('deploys a tag, with a canary that stops the rest when it fails', async () => {
    const tagged = await world.deploy({ targets: ['@extra'] });
    expect(tagged.record?.targets).toEqual(extra);
    expect(tagged.job.status).toBe('succeeded');

    // The canary's activation fails: a directory where the activation puts the /etc/static link.
    // The hosts already run this generation, so only force activates them again.
    const canary = world.lab.host('host-05');
    await canary.exec(['sh', '-c', 'rm -f /etc/static && mkdir -p /etc/static/in-the-way']);
    try {
      const { job, record } = await world.deploy({ targets: ['@extra'], canary: true, force: true });
      expect(job.status).toBe('failed');
      expect(outcomeOf(record, 'host-05').status).toMatch(/failed|rolled-back/);
      for (const name of extra.slice(1)) {
        const outcome = outcomeOf(record, name);
        expect(outcome.status).toBe('skipped');
        expect(outcome.message).toMatch(/canary host-05 did not succeed/);
      }
    } finally {
      await canary.exec(['rm', '-rf', '/etc/static']);
    }
  });

  it('deploys a standalone Home Manager home to a host as a user, and rolls back a failing one', async () => {
    const { job, record } = await world.deploy({ targets: ['home:soriphoono@zephyrus'], asUser: 'deploy' });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const outcome = outcomeOf(record, 'home:soriphoono@zephyrus');
    expect(outcome.generation).toBe(1);
    const state = await world.lab.host('zephyrus').exec(['ls', '/home/deploy/.local/state/home-manager']);
    expect(state.code).toBe(0);

    world.edit('lib/home/activate.sh', 'state="$HOME/.local/state/home-manager"', 'state="$HOME/.local/state/home-manager"\necho "home activation failed on purpose" >&2; exit 5');
    const failed = await world.deploy({ targets: ['home:soriphoono@zephyrus'], asUser: 'deploy' });
    expect(failed.job.status).toBe('failed');
    const rolled = outcomeOf(failed.record, 'home:soriphoono@zephyrus');
    expect(rolled.status).toBe('rolled-back');
    expect(rolled.rolledBackTo).toBe(1);
  });

  it('builds on the target when meta.json says buildOnTarget: the derivations go over, the host realises them', async () => {
    fs.writeFileSync(path.join(world.checkout, 'systems/host-06/meta.json'), JSON.stringify({ system: 'x86_64-linux', deploy: { buildOnTarget: true } }));
    world.edit('systems/host-06/default.nix', 'networking.hostName = "host-06";', 'networking.hostName = "host-06";\n  environment.etc."built-there".text = "yes";');
    const { job, record } = await world.deploy({ targets: ['host-06'] });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const outcome = outcomeOf(record, 'host-06');
    expect(await world.lab.host('host-06').currentSystem()).toBe(outcome.outPath);
    // Built there: nothing to copy afterwards.
    expect(outcome.stages.map((st) => st.name)).toEqual(['preflight', 'build', 'activate', 'checks', 'confirm']);
    expect(fs.readFileSync(job.logFile, 'utf8')).toMatch(/built on the host: \/nix\/store\/\S+-nixos-system-host-06/);
  });
});
