import type { Command } from 'commander';
import { openSession, type GlobalOptions } from '../core-session';
import { runJob } from '../follow-job';
import { reportDeploy } from './deploy';
import { parseGeneration } from './rollback';
import { printJson } from '../output';
import type { AndroidDevice, SetupReport } from '../../core/android/types';
import type { JobInfo } from '../../core/jobs/types';
import { FleetError } from '../../core/contract';

interface RouteOptions {
  serial?: string;
  host?: string;
  port?: number;
  user?: string;
  identity?: string;
  json?: boolean;
  yes?: boolean;
  acceptNewHostKeys?: boolean;
}

function routeInput(opts: RouteOptions) {
  return {
    ...(opts.serial ? { serial: opts.serial } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.identity ? { identityFile: opts.identity } : {}),
  };
}

function deviceLine(d: AndroidDevice): string {
  const what = [d.manufacturer, d.model].filter(Boolean).join(' ');
  const facts = d.state === 'device' ? `${what || '?'}  Android ${d.androidVersion ?? '?'}  ${d.abi ?? '?'}  battery ${d.battery ?? '?'}%` : '';
  return `${d.serial.padEnd(24)} ${d.state.padEnd(12)} ${d.transport.padEnd(8)} ${facts}${d.droid ? `  -> droids/${d.droid}` : ''}${d.problem ? `\n  ${d.problem}` : ''}`;
}

/** Finish a job command: JSON (--json) or a line, and a non-zero exit when it failed. */
function finish(info: JobInfo, json: boolean | undefined, describe: (result: never) => string): void {
  if (json) printJson(info);
  if (info.status !== 'succeeded') {
    if (!json) process.stderr.write(`${info.status}: ${info.error?.message ?? ''}\n${info.error?.hint ? `hint: ${info.error.hint}\n` : ''}`);
    process.exitCode = 1;
    return;
  }
  if (!json) process.stderr.write(`${describe(info.result as never)}\n`);
}

function withRoute(command: Command): Command {
  return command
    .option('--serial <serial>', 'the phone (adb serial) when more than one is linked')
    .option('--host <host>', 'reach the phone over the network by ssh (e.g. its tailscale name), without adb')
    .option('--port <port>', 'ssh port with --host (default 8022)', (v) => Number(v))
    .option('--user <user>', 'login user of the phone sshd (default nix-on-droid)')
    .option('--identity <file>', 'private key file (default ~/.ssh/id_* and the ssh agent)')
    .option('--accept-new-host-keys', "trust a phone's SSH host key seen for the first time")
    .option('--json', 'print the job as JSON');
}

/** `fleet droid ...`: phones over adb, their setup, and Nix-on-Droid deploys. */
export function registerDroid(program: Command): void {
  const droid = program.command('droid').description('Android phones: devices, setup, Nix-on-Droid deploys and rollbacks');

  droid
    .command('devices')
    .description('list phones the adb server sees (model, Android version, ABI, battery, state, linked droid)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const list = await session.call('devices.list', {});
        if (opts.json) return printJson(list);
        if (list.devices.length === 0) process.stdout.write(`No phones (adb server on port ${list.adbPort}). Plug one in with USB debugging on, or: fleet droid connect HOST:PORT\n`);
        for (const device of list.devices) process.stdout.write(`${deviceLine(device)}\n`);
      } finally {
        await session.close();
      }
    });

  droid
    .command('connect <address>')
    .description('connect a phone with adb over TCP (wireless debugging), e.g. 192.168.1.20:5555')
    .action(async (address: string, _opts: unknown, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        process.stdout.write(`${deviceLine(await session.call('devices.connect', { address }))}\n`);
      } finally {
        await session.close();
      }
    });

  droid
    .command('link <serial> [droid]')
    .description('link a phone to droids/<droid> (no droid: unlink)')
    .action(async (serial: string, name: string | undefined, _opts: unknown, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const linked = await session.call('droid.link', { serial, droid: name ?? null });
        process.stdout.write(linked.droid ? `${serial} -> droids/${linked.droid}\n` : `${serial} unlinked\n`);
      } finally {
        await session.close();
      }
    });

  droid
    .command('setup <serial> <droid>')
    .description('set a phone up step by step (ABI, Nix-on-Droid, bootstrap, SSH access, connection test) and link it; resumable')
    .option('--apk <file>', 'Nix-on-Droid APK to install when the app is missing')
    .option('--yes', 'type on the phone and accept proposed edits without asking')
    .option('--user <user>', 'login user of the phone sshd (default nix-on-droid)')
    .option('--identity <file>', 'private key whose public half is authorized on the phone')
    .option('--accept-new-host-keys', "trust the phone's SSH host key seen for the first time")
    .option('--json', 'print the job as JSON')
    .action(async (serial: string, name: string, opts: RouteOptions & { apk?: string }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const input = { serial, droid: name, ...(opts.apk ? { apkPath: opts.apk } : {}), ...(opts.yes ? { typeWithoutAsking: true } : {}), ...routeInput(opts) };
        delete (input as { serial?: string }).serial;
        const info = await runJob(session.core, 'droid.setup', { ...input, serial }, { yes: opts.yes, acceptNewHostKeys: opts.acceptNewHostKeys });
        finish(info, opts.json, (r: SetupReport) => r.steps.map((s) => `${s.status.padEnd(8)} ${s.title}${s.detail ? `: ${s.detail}` : ''}`).join('\n'));
      } finally {
        await session.close();
      }
    });

  withRoute(droid.command('deploy <droid>').description('deploy droids/<droid> to its phone (the same deploy as `fleet deploy droid:<droid>`): nix-on-droid switch --flake on the phone'))
    .option('--worktree', 'deploy the working tree (uncommitted changes) instead of HEAD')
    .option('--build-here', 'build on this computer (needs aarch64-linux builds), copy the closure, activate on the phone')
    .action(async (name: string, opts: RouteOptions & { worktree?: boolean; buildHere?: boolean }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(session.core, 'droid.deploy', { droid: name, source: opts.worktree ? 'worktree' : 'head', buildOn: opts.buildHere ? 'laptop' : 'phone', ...routeInput(opts) }, { acceptNewHostKeys: opts.acceptNewHostKeys });
        process.exitCode = await reportDeploy(session, info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });

  withRoute(droid.command('rollback <droid>').description('roll the phone back to its previous Nix-on-Droid generation (the same rollback as `fleet rollback droid:<droid>`)'))
    .option('--to <generation>', 'the generation number to switch to', parseGeneration)
    .action(async (name: string, opts: RouteOptions & { to?: number }, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const info = await runJob(session.core, 'droid.rollback', { droid: name, ...(opts.to ? { generation: opts.to } : {}), ...routeInput(opts) }, { acceptNewHostKeys: opts.acceptNewHostKeys });
        process.exitCode = await reportDeploy(session, info, Boolean(opts.json));
      } finally {
        await session.close();
      }
    });

  withRoute(droid.command('generations <droid>').description("list the phone's Nix-on-Droid generations"))
    .action(async (name: string, opts: RouteOptions, command: Command) => {
      const session = openSession(command.optsWithGlobals<GlobalOptions>());
      try {
        const generations = await session.call('droid.generations', { droid: name, ...routeInput(opts) });
        if (opts.json) return printJson(generations);
        if (generations.length === 0) throw new FleetError('not-found', 'The phone has no Nix-on-Droid generations.');
        for (const g of generations) process.stdout.write(`${String(g.number).padStart(4)}  ${g.date}${g.current ? '  (current)' : ''}\n`);
      } finally {
        await session.close();
      }
    });
}
