import { z } from 'zod';
import { droidName, phoneRoute } from '../android/contract';
import type { DroidDeployResult } from '../android/types';
import { job, query, type CommandSpec } from '../contract';
import { buildHostReason } from '../homelab/names';
import type { CachePushResult } from './cache-push';
import type { DeployCopyPlan } from './copy-plan';
import type { SinceDeployedReport } from './since-deployed';
import type { DeployRecord, DeployResult, DeployTargetSpec, Generation, HostStatus } from './types';

export type { DeployCopyPlan, TargetCopyPlan, PathAmount } from './copy-plan';
export type { DeployRecord, DeployResult, DeployTargetSpec, Generation, HostStatus, TargetOutcome, DeployMode, DeployStage } from './types';

const selector = z
  .string()
  .min(1, 'a target is required')
  .max(300, 'a target is longer than 300 characters')
  .refine((s) => !s.startsWith('-'), 'a target cannot start with "-"')
  .refine((s) => !/[\s\0]/.test(s), 'a target cannot contain whitespace');

const mode = z.enum(['switch', 'boot', 'test', 'dry-activate']);

/** How hosts reboot: rolling, `parallel` down at once (default 1), each given `timeoutSeconds` to come back. */
const rebootOptions = {
  /** At most this many hosts down at once (default 1). Without allAtOnce, one host of the selection (and of each tag) stays up. */
  parallel: z.number().int().min(1, '--parallel is at least 1').max(64, '--parallel is at most 64').optional(),
  /** Seconds a host has to go down and answer again from a new boot (default 300). */
  timeoutSeconds: z.number().int().min(5, 'a reboot timeout of at least 5 seconds').max(3600, 'a reboot timeout of at most 3600 seconds').optional(),
  /** Let every selected host, every host of a tag, be down at the same time. */
  allAtOnce: z.boolean().optional(),
};

/** For droid targets: which phone, what source, where it is built. */
const phoneOptions = {
  ...phoneRoute,
  /** head: git archive of HEAD (default); worktree: the files as they are, uncommitted changes included. */
  source: z.enum(['head', 'worktree']).optional(),
  /** phone: nix-on-droid switch builds on the phone (default); laptop: build here, copy the closure, activate. */
  buildOn: z.enum(['phone', 'laptop']).optional(),
};

/** What `droid.deploy` finishes with: the deploy's result and the phone's generations before and after. */
export type DroidDeployJobResult = DeployResult & DroidDeployResult;
const loginName = z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, 'not a valid login name').max(64);

const storePath = z.string().regex(/^\/nix\/store\/[0-9a-z]{32}-[A-Za-z0-9+._?=-]+$/, 'not a store path (/nix/store/<hash>-<name>)');

/** The checkout's binary cache as the app uses it: where, the key that signs, the key hosts must trust. */
export interface CacheInfo {
  readonly url: string;
  readonly secretKeyFile: string;
  readonly publicKey: string;
}

/** Whether a host would take paths from the cache (from its own nix configuration). */
export interface HostCacheTrust {
  readonly target: string;
  readonly host: string;
  readonly online: boolean;
  readonly trustsKey: boolean;
  readonly usesCache: boolean;
  readonly substituters: readonly string[];
  readonly error?: string;
}

/** What the confirmation sheet shows before a deploy: the targets and which hosts answer. */
export interface DeployPreview {
  readonly targets: readonly DeployTargetSpec[];
  readonly hosts: readonly HostStatus[];
}

export const deployCommands = {
  'deploy.start': job<DeployResult>()(
    'Deploy NixOS systems, homes and droids: pre-flight all, build, copy the closures, activate, confirm (magic rollback for hosts).',
    z
      .object({
        targets: z.array(selector).min(1, 'name at least one target: a system, @tag, all, home:<user>@<host> or droid:<name>'),
        mode: mode.optional(),
        parallel: z.number().int().min(1).max(64).optional(),
        keepGoing: z.boolean().optional(),
        canary: z.boolean().optional(),
        magicRollback: z.boolean().optional(),
        confirmTimeoutSeconds: z.number().int().min(2, 'at least 2 seconds').max(600, 'at most 600 seconds').optional(),
        substituteOnTarget: z.boolean().optional(),
        /** When a build host cannot reach its target: relay the closure through this computer (default true), or fail that target at pre-flight (false). */
        relay: z.boolean().optional(),
        /** Activate even hosts that already run exactly the generation this deploy would give them. */
        force: z.boolean().optional(),
        /** Do not run the systems' health checks (meta.json deploy.checks) after the switch. */
        skipChecks: z.boolean().optional(),
        /** For home targets: log in as this user instead of the home's own name. */
        asUser: loginName.optional(),
        /** For droid targets: the phone (default: the one connected phone linked to the droid) and how it is built. */
        phone: z.object(phoneOptions).strict().optional(),
        /** Make the new generation the boot default (mode boot), reboot the systems (rolling), wait, verify what they booted, run the checks. */
        reboot: z.object(rebootOptions).strict().optional(),
      })
      .strict(),
  ),
  'deploy.reboot': job<DeployResult>()(
    'Reboot systems, rolling: each boots its boot default; wait for it to come back (with a timeout), check it booted that generation, run its health checks. A canary first when asked; a host not back in time is reported, never rebooted again.',
    z
      .object({
        targets: z.array(selector).min(1, 'name at least one system to reboot (a name, @tag or all)'),
        ...rebootOptions,
        /** Reboot one host first (the first named); the rest only if it came back healthy. */
        canary: z.boolean().optional(),
        /** Stop starting reboots after the first host that failed (default: the other hosts go on). */
        keepGoing: z.boolean().optional(),
        skipChecks: z.boolean().optional(),
      })
      .strict(),
  ),
  'droid.deploy': job<DroidDeployJobResult>()(
    'Deploy a droid to its phone: the same deploy as `deploy.start` with target droid:<name> (send the flake source and run `nix-on-droid switch --flake` there, or build here and copy).',
    z
      .object({
        droid: droidName,
        ...phoneOptions,
        source: phoneOptions.source.default('head'),
        buildOn: phoneOptions.buildOn.default('phone'),
      })
      .strict(),
  ),
  'deploy.preflight': query<DeployPreview>()(
    'Resolve targets and check their hosts (reachable, current generation, lock) without changing anything.',
    z.object({ targets: z.array(selector).min(1), asUser: loginName.optional() }).strict(),
  ),
  'deploy.plan': query<DeployCopyPlan>()(
    "Per target, without changing anything: where it is built, whether its host trusts the homelab's cache (its nix.conf), and what a deploy would copy from here, let it fetch from the cache, or have its build host send.",
    z.object({ targets: z.array(selector).min(1, 'name at least one target'), asUser: loginName.optional() }).strict(),
  ),
  'deploy.rollback': job<DeployResult>()(
    'Switch a host, home or droid back to an earlier generation of its profile (default: the one before the current); a deploy run like any other (history, deploy.* events).',
    z
      .object({
        target: selector,
        generation: z.number().int().min(1).optional(),
        confirmTimeoutSeconds: z.number().int().min(2).max(600).optional(),
        magicRollback: z.boolean().optional(),
        /** For a droid target: the phone (default: the one connected phone linked to the droid). */
        phone: z.object(phoneRoute).strict().optional(),
      })
      .strict(),
  ),
  'droid.rollback': job<DroidDeployJobResult>()(
    'Roll a droid back to its previous Nix-on-Droid generation (or `generation`): the same run as `deploy.rollback` with target droid:<name>.',
    z.object({ droid: droidName, generation: z.number().int().min(1).optional(), ...phoneRoute }).strict(),
  ),
  'changes.sinceDeployed': job<SinceDeployedReport>()(
    'For a system: the revision it runs (read over SSH, else from the deploy history), the commits since, and the changed files that affect it. For a droid (host "droid:<name>"): the revision of its last successful deploy.',
    z.object({ host: z.string().min(1).max(255) }).strict(),
  ),
  'deploy.history': query<readonly DeployRecord[]>()(
    'Past and running deploys, newest first; a deploy cut short by a crash is "interrupted".',
    z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
  ),
  'deploy.get': query<DeployRecord>()('One deploy, by its id or its job id.', z.object({ id: z.string().min(1).max(200) }).strict()),
  'deploy.status': query<readonly HostStatus[]>()(
    'Every host (or those named): online, current generation, configurationRevision, out of date against the checkout, last deploy.',
    z.object({ targets: z.array(selector).optional(), evaluate: z.boolean().optional() }).strict(),
  ),
  'cache.get': query<CacheInfo | null>()("The open checkout's binary cache, with the public key hosts must trust.", z.object({}).strict()),
  'cache.set': query<CacheInfo | null>()(
    "Set the open checkout's binary cache (file://, ssh:// or s3:// URL and the secret signing key file), or clear it (url: null).",
    z
      .object({
        url: z.string().max(2000).nullable(),
        secretKeyFile: z.string().min(1).max(4096).refine((p) => p.startsWith('/'), 'an absolute path').optional(),
      })
      .strict(),
    { personOnly: true },
  ),
  'cache.push': job<CachePushResult>()(
    "Sign store paths (and their closures) with the cache's key and copy them to the checkout's binary cache (from a build host's store, with buildHost).",
    z
      .object({
        paths: z.array(storePath).min(1, 'name at least one store path').max(1000),
        /** The build host whose store holds the paths (a build result's builtOn): they are signed and sent from there. One the checkout names. */
        buildHost: z
          .string()
          .max(255)
          .refine((s) => buildHostReason(s) === undefined, 'a build host is an ssh alias, a host name or user@host')
          .optional(),
      })
      .strict(),
  ),
  'cache.trust': query<readonly HostCacheTrust[]>()(
    "Per host: does it trust the cache's key and substitute from it (read from its nix configuration)?",
    z.object({ targets: z.array(selector).optional() }).strict(),
  ),
  'deploy.generations': query<readonly Generation[]>()(
    "The generations of a host's system profile (or a home's profile), newest first.",
    z.object({ target: selector }).strict(),
  ),
} satisfies Record<string, CommandSpec>;
