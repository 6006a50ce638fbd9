import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError, toWireError, type CommandSpec, type WireReply } from './contract';
import { commands, parseCommandInput, requireCommandName, type CommandName } from './api';
import type { CoreContext, CoreHost } from './context';
import { EventBus, type EventListener } from './events';
import { Jobs } from './jobs/jobs';
import { SettingsStore } from './settings/settings';
import { Prompts } from './app/prompts';
import type { JobPlan } from './handlers';
import { requireHomelabRoot } from './checkout/homelab-root';
import { appHandlers } from './app/handlers';
import { homelabHandlers } from './homelab/handlers';
import { nixHandlers } from './nix/handlers';
import { gitHandlers } from './git/handlers';
import { closureHandlers } from './closure/handlers';
import { diffDroidAgainstPhone } from './android/phone-closure';
import { deployHandlers } from './deploy/handlers';
import { buildHostBuilds } from './deploy/build-job';
import { androidHandlers } from './android/handlers';
import { installHandlers } from './deploy/install/handlers';

export interface CoreOptions {
  readonly host: CoreHost;
  /** The app's data folder: settings, logs, history. */
  readonly dataDir: string;
  /** A fixed checkout (CLI --flake, or the current directory); otherwise settings decide. */
  readonly root?: string;
  readonly exampleHomelab?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The core as front ends see it: invoke a command by name, subscribe to events. */
export interface FleetCore {
  invoke(name: string, input: unknown): Promise<unknown>;
  /** invoke, with errors as data: what crosses a bridge. */
  invokeWire(name: string, input: unknown): Promise<WireReply<unknown>>;
  subscribe(listener: EventListener): () => void;
  readonly context: CoreContext;
  dispose(): Promise<void>;
}

type AnyHandler = (input: unknown) => unknown;

/**
 * Create the core. Every front end (Electron utility process, `fleet serve`, the CLI)
 * calls this and then only talks to it through invoke/subscribe.
 */
export function createCore(options: CoreOptions): FleetCore {
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const events = new EventBus();
  const settings = new SettingsStore(options.dataDir);
  const jobs = new Jobs(options.dataDir, events, () => settings.get().jobRetention);
  const prompts = new Prompts(events);
  const services = new Map<string, { value: unknown; dispose?: (value: unknown) => void | Promise<void> }>();
  const fixedRoot = options.root ? path.resolve(options.root) : undefined;

  const context: CoreContext = {
    host: options.host,
    dataDir: options.dataDir,
    env: options.env ?? process.env,
    settings,
    jobs,
    events,
    prompts,
    ...(options.exampleHomelab ? { exampleHomelab: options.exampleHomelab } : {}),
    currentRoot: () => fixedRoot ?? settings.get().current,
    root: () => {
      const root = fixedRoot ?? settings.get().current;
      if (!root) {
        throw new FleetError('no-checkout', 'No homelab is open.', {
          hint: 'Open the folder of your homelab checkout (the one holding flake.nix), or pass --flake PATH.',
        });
      }
      // Checked on every use: the folder may have gone, or never held a flake (CLI --flake ~).
      return requireHomelabRoot(root);
    },
    service: <T>(key: string, create: () => T, dispose?: (value: T) => void | Promise<void>): T => {
      const existing = services.get(key);
      if (existing) return existing.value as T;
      const value = create();
      services.set(key, { value, ...(dispose ? { dispose: dispose as (v: unknown) => void | Promise<void> } : {}) });
      return value;
    },
  };

  // Builds of systems that name a build host go there, from a build job and a closure diff alike.
  const buildHosts = buildHostBuilds(context);
  const handlers: Record<string, AnyHandler> = {
    ...(appHandlers(context) as unknown as Record<string, AnyHandler>),
    ...(homelabHandlers(context) as unknown as Record<string, AnyHandler>),
    ...(nixHandlers(context, { buildHosts }) as unknown as Record<string, AnyHandler>),
    ...(gitHandlers(context) as unknown as Record<string, AnyHandler>),
    ...(closureHandlers(context, { droidAgainstPhone: diffDroidAgainstPhone, buildHosts }) as unknown as Record<string, AnyHandler>),
    ...(deployHandlers(context) as unknown as Record<string, AnyHandler>),
    ...(androidHandlers(context) as unknown as Record<string, AnyHandler>),
    ...(installHandlers(context) as unknown as Record<string, AnyHandler>),
  };
  for (const name of Object.keys(commands)) {
    if (!handlers[name]) throw new Error(`Command ${name} has no handler.`);
  }

  // A command that changes the checkout (checkout.open) holds back every command sent after
  // it, so `checkout.open` then `git.diff` on one connection diffs the new checkout.
  let checkoutChange: Promise<unknown> = Promise.resolve();

  async function invoke(rawName: string, rawInput: unknown): Promise<unknown> {
    const name: CommandName = requireCommandName(rawName);
    if ((commands[name] as CommandSpec).changesCheckout) {
      const run = checkoutChange.then(() => invokeNow(name, rawInput));
      checkoutChange = run.catch(() => undefined);
      return run;
    }
    await checkoutChange;
    return invokeNow(name, rawInput);
  }

  // Identical expensive reads under way, by command, input and checkout (CommandTraits.coalesce).
  const inFlight = new Map<string, Promise<unknown>>();

  function invokeNow(name: CommandName, rawInput: unknown): Promise<unknown> {
    if (!(commands[name] as CommandSpec).coalesce) return invokeOnce(name, rawInput);
    let key: string;
    try {
      key = JSON.stringify([name, context.currentRoot() ?? '', rawInput ?? {}]);
    } catch {
      return invokeOnce(name, rawInput);
    }
    const running = inFlight.get(key);
    if (running) return running;
    const run = invokeOnce(name, rawInput).finally(() => inFlight.delete(key));
    inFlight.set(key, run);
    return run;
  }

  async function invokeOnce(name: CommandName, rawInput: unknown): Promise<unknown> {
    const input = parseCommandInput(name, rawInput);
    const spec = commands[name] as CommandSpec;
    const handler = handlers[name] as AnyHandler;
    if (spec.kind === 'job') {
      const plan = (await handler(input)) as JobPlan<unknown>;
      const root = context.currentRoot();
      const job = jobs.start({ ...(root ? { root } : {}), ...plan.spec }, plan.run);
      return { jobId: job.id };
    }
    return await handler(input);
  }

  return {
    context,
    invoke,
    async invokeWire(name, input) {
      try {
        return { ok: true, result: await invoke(name, input) };
      } catch (error) {
        return { ok: false, error: toWireError(error) };
      }
    },
    subscribe: (listener) => events.subscribe(listener),
    async dispose() {
      await jobs.dispose();
      for (const { value, dispose } of [...services.values()].reverse()) {
        try {
          await dispose?.(value);
        } catch {
          // keep disposing the rest
        }
      }
      services.clear();
    },
  };
}
