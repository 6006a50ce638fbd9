import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from '../process/run';
import { compareVersions } from './versions';

/** Which nix implementation is installed; they differ in flags and JSON shapes. */
export type NixFlavour = 'nix' | 'lix' | 'determinate';

/** What the installed nix can do, as far as the app cares. */
export interface NixFeatures {
  /** `nix build --print-out-paths` (2.6+). The app uses `--json` everywhere, which works on all. */
  readonly printOutPaths: boolean;
  /** `nix path-info --json` prints an object keyed by path (2.19+) instead of an array. */
  readonly pathInfoJsonObject: boolean;
  /** `nix path-info --json-format 1|2` (2.34+; `--json` alone is deprecated there). */
  readonly pathInfoJsonFormat: boolean;
  /** `nix config show` (2.20+); older versions only have `nix show-config`. */
  readonly configShow: boolean;
  /** `nix flake show --all-systems` / `nix flake check --all-systems` (2.13+). */
  readonly allSystems: boolean;
  /** `--log-format internal-json` with setPhase results (all supported versions). */
  readonly internalJson: boolean;
}

/** How to install nix, shown when it is missing. */
export interface NixInstallAdvice {
  readonly message: string;
  readonly steps: readonly string[];
  readonly url: string;
}

/** The `nix.info` answer: where nix is, which one, and what it supports. */
export interface NixInfo {
  readonly found: boolean;
  readonly path?: string;
  /** e.g. "2.8.0" (the Nix-compatible version for Lix and Determinate too). */
  readonly version?: string;
  readonly flavour?: NixFlavour;
  /** The first line of `nix --version`, as printed. */
  readonly versionText?: string;
  readonly features?: NixFeatures;
  /** This machine's nix system, e.g. x86_64-linux. */
  readonly system?: string;
  readonly extraPlatforms?: readonly string[];
  readonly sandbox?: boolean;
  readonly substituters?: readonly string[];
  /** Set when nix is missing or does not answer: the app stays read-only. */
  readonly problem?: string;
  readonly install?: NixInstallAdvice;
}

const wellKnown = [
  '/nix/var/nix/profiles/default/bin/nix',
  '/run/current-system/sw/bin/nix',
  '/usr/local/bin/nix',
  '/usr/bin/nix',
];

/**
 * Find the nix binary: $FLEET_NIX (the nix binary, or the folder holding it and its
 * nix-store), then PATH, then the places installers put it (a desktop app started from a
 * menu often has a PATH without the nix profile).
 */
export function locateNix(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // An explicit choice is final: FLEET_NIX pointing nowhere means "no nix", not "search".
  if (env.FLEET_NIX) {
    const chosen = isDirectory(env.FLEET_NIX) ? path.join(env.FLEET_NIX, 'nix') : env.FLEET_NIX;
    return isExecutable(chosen) ? chosen : undefined;
  }
  const candidates: string[] = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'nix'));
  const home = env.HOME ?? os.homedir();
  candidates.push(path.join(home, '.nix-profile/bin/nix'), ...wellKnown);
  return candidates.find(isExecutable);
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Parse the first line of `nix --version` into version and flavour. */
export function parseNixVersion(text: string): { version: string; flavour: NixFlavour } | undefined {
  const line = text.split('\n')[0]?.trim() ?? '';
  const match = /^nix \(([^)]*)\) (\d+\.\d+(?:\.\d+)?)/.exec(line);
  if (!match) return undefined;
  const impl = match[1] ?? '';
  const flavour: NixFlavour = /lix/i.test(impl) ? 'lix' : /determinate/i.test(impl) ? 'determinate' : 'nix';
  return { version: match[2]!, flavour };
}


/** What a given nix version supports. Lix forked from 2.18 and numbers itself 2.90+. */
export function featuresOf(version: string, flavour: NixFlavour): NixFeatures {
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  const lix = flavour === 'lix';
  return {
    printOutPaths: atLeast('2.6'),
    pathInfoJsonObject: lix ? false : atLeast('2.19'),
    pathInfoJsonFormat: lix ? false : atLeast('2.34'),
    configShow: lix ? atLeast('2.90') : atLeast('2.20'),
    allSystems: atLeast('2.13'),
    internalJson: true,
  };
}

const featuresByBinary = new Map<string, Promise<NixFeatures | undefined>>();

/**
 * The features of the nix that runs for this environment, read once per binary (its
 * `nix --version`). Undefined when nix is missing or its version unreadable: callers then
 * use the flags every version understands.
 */
export function installedNixFeatures(env: NodeJS.ProcessEnv = process.env, explicit?: string): Promise<NixFeatures | undefined> {
  const nix = explicit ?? locateNix(env);
  if (!nix) return Promise.resolve(undefined);
  let features = featuresByBinary.get(nix);
  if (!features) {
    features = runProcess(nix, ['--version'], { env })
      .then((result) => {
        const parsed = parseNixVersion(result.stdout);
        return parsed ? featuresOf(parsed.version, parsed.flavour) : undefined;
      })
      .catch(() => undefined);
    featuresByBinary.set(nix, features);
  }
  return features;
}

export const installAdvice: NixInstallAdvice = {
  message:
    'Nix was not found, so the app cannot evaluate or build your homelab. Everything else (browsing the checkout, diffs, history) keeps working.',
  steps: [
    'Install Nix with the official installer: sh <(curl -L https://nixos.org/nix/install) --daemon',
    'or on Debian/Ubuntu: sudo apt install nix-bin',
    'then restart the app (or set FLEET_NIX to the full path of the nix binary, or of the folder holding nix and nix-store).',
  ],
  url: 'https://nixos.org/download',
};

/**
 * Detect the installed nix: version, flavour, features and the settings that matter to
 * builds. Never throws: a missing or broken nix is described in `problem` and `install`.
 */
export async function detectNix(env: NodeJS.ProcessEnv = process.env): Promise<NixInfo> {
  const nix = locateNix(env);
  if (!nix) {
    const problem = env.FLEET_NIX
      ? `FLEET_NIX is ${env.FLEET_NIX}, which is neither an executable nix nor a folder holding one.`
      : 'nix is not installed (not on PATH nor in the usual places).';
    return { found: false, problem, install: installAdvice };
  }
  let versionText: string;
  try {
    const result = await runProcess(nix, ['--version'], { env });
    versionText = result.stdout.split('\n')[0]?.trim() ?? '';
  } catch (error) {
    return { found: false, path: nix, problem: `${nix} does not run: ${(error as Error).message}`, install: installAdvice };
  }
  const parsed = parseNixVersion(versionText);
  if (!parsed) return { found: true, path: nix, versionText, problem: `Unrecognised nix version output: ${versionText}` };
  const features = featuresOf(parsed.version, parsed.flavour);
  const config = await readNixConfig(nix, features, env);
  return { found: true, path: nix, versionText, ...parsed, features, ...config };
}

async function readNixConfig(
  nix: string,
  features: NixFeatures,
  env: NodeJS.ProcessEnv,
): Promise<Pick<NixInfo, 'system' | 'extraPlatforms' | 'sandbox' | 'substituters'>> {
  const args = ['--extra-experimental-features', 'nix-command flakes', ...(features.configShow ? ['config', 'show'] : ['show-config']), '--json'];
  try {
    const result = await runProcess(nix, args, { env });
    if (result.code !== 0) return {};
    const config = JSON.parse(result.stdout) as Record<string, { value?: unknown } | undefined>;
    const str = (k: string) => (typeof config[k]?.value === 'string' ? (config[k]!.value as string) : undefined);
    const list = (k: string) => {
      const v = config[k]?.value;
      return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : undefined;
    };
    const sandbox = config.sandbox?.value;
    return {
      ...(str('system') ? { system: str('system') } : {}),
      ...(list('extra-platforms') ? { extraPlatforms: list('extra-platforms') } : {}),
      ...(typeof sandbox === 'boolean' ? { sandbox } : sandbox === 'relaxed' ? { sandbox: true } : {}),
      ...(list('substituters') ? { substituters: list('substituters') } : {}),
    };
  } catch {
    return {};
  }
}
