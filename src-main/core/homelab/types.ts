import type { DeployCheck } from './deploy-checks';
import type { SystemHostKey } from './host-key';
/**
 * The inventory of a homelab checkout: what the directory scan found, reconciled with
 * the flake's own outputs when nix could evaluate them. This is the shape `fleet
 * inventory --json` prints and the Systems/Homes/Droids screens show.
 */

/** Where an item was seen: by the directory scan, in the flake's outputs, or both. */
export type FlakeState = 'discovered-and-in-flake' | 'in-flake-only' | 'discovered-only' | 'unknown';

/** A problem with one item or the checkout, shown beside it, never thrown. */
export interface InventoryWarning {
  readonly message: string;
  /** Path relative to the checkout root, when the warning is about a file. */
  readonly path?: string;
  /** Item it belongs to, e.g. "system:moonlight". */
  readonly item?: string;
  readonly severity: 'info' | 'warning' | 'error';
}

/** How to reach a system for a deploy (meta.json `deploy`, defaults filled in). */
export interface DeployTarget {
  /** SSH host: an ~/.ssh/config alias, a DNS/MagicDNS name or an address. Default: the system's name. */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  readonly tags: readonly string[];
  readonly buildOnTarget: boolean;
  /** meta.json deploy.buildHost: where the closure is built ("user@host" or an ssh alias); unset: here (or the settings' default). */
  readonly buildHost?: string;
  readonly sudo: boolean;
  /** Health checks run after the switch (meta.json deploy.checks). */
  readonly checks: readonly DeployCheck[];
  /** Set when the system cannot be deployed as it is (e.g. its name has shell characters). */
  readonly refused?: string;
}

export interface SystemItem {
  readonly name: string;
  /** Path relative to the checkout root: systems/<name> or systems/<name>.nix. */
  readonly path: string;
  /** nix system (arch), e.g. x86_64-linux. */
  readonly system: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly deploy: DeployTarget;
  /** Names of homes attached to this system (homes/<user>@<name>). */
  readonly homes: readonly string[];
  readonly flake: FlakeState;
  readonly warnings: readonly InventoryWarning[];
  /** Extra files beside the configuration: disko.nix, secrets.yaml, facter.json... */
  readonly files: readonly string[];
  /** The host key recorded beside it (ssh_host_ed25519_key.pub, written by fleet install). */
  readonly hostKey?: SystemHostKey;
}

export type HomeKind = 'base' | 'global' | 'host' | 'droid';

export interface HomeItem {
  /** Directory name, e.g. soriphoono@zephyrus. */
  readonly name: string;
  readonly user: string;
  readonly kind: HomeKind;
  /** For kind 'host': the system it is attached to. */
  readonly host?: string;
  readonly path: string;
  readonly warnings: readonly InventoryWarning[];
}

/** A standalone Home Manager configuration (homeConfigurations.<user> = base + global). */
export interface StandaloneHome {
  readonly name: string;
  readonly user: string;
  readonly system: string;
  /** Directories it is made of, e.g. ["homes/soriphoono", "homes/soriphoono@global"]. */
  readonly parts: readonly string[];
  readonly flake: FlakeState;
  readonly warnings: readonly InventoryWarning[];
}

export interface DroidItem {
  readonly name: string;
  readonly path: string;
  readonly system: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** Homes imported by the phone configuration (homes/<user>@droid). */
  readonly homes: readonly string[];
  readonly flake: FlakeState;
  readonly warnings: readonly InventoryWarning[];
}

export interface ModuleNode {
  readonly name: string;
  readonly path: string;
  readonly kind: 'nixos' | 'home' | 'droid';
  readonly children: readonly ModuleNode[];
}

export interface SecretsFileStatus {
  readonly path: string;
  readonly format: 'sops' | 'agenix';
  /** The .sops.yaml creation rule (its path_regex) that matches, if any. */
  readonly rule?: string;
  readonly recipients: readonly string[];
  /** Rule recipients missing from the file: run `sops updatekeys`. */
  readonly missingRecipients: readonly string[];
  /** File recipients the rule no longer lists. */
  readonly extraRecipients: readonly string[];
  readonly lastModified?: string;
  /** recipient -> its name in the checkout (a .sops.yaml anchor, a secrets.nix variable). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly warnings: readonly InventoryWarning[];
}

export interface FlakeEvaluation {
  readonly state: 'pending' | 'ok' | 'failed' | 'unavailable';
  readonly error?: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column?: number };
  readonly nixosConfigurations?: readonly string[];
  readonly homeConfigurations?: readonly string[];
  readonly nixOnDroidConfigurations?: readonly string[];
  readonly durationMs?: number;
}

export interface Inventory {
  /** Absolute path of the checkout. */
  readonly root: string;
  /** Absolute path of the folder holding systems/, homes/... (the root, or e.g. root/nix). */
  readonly layoutRoot: string;
  readonly systems: readonly SystemItem[];
  readonly homes: readonly HomeItem[];
  readonly standaloneHomes: readonly StandaloneHome[];
  readonly droids: readonly DroidItem[];
  readonly modules: readonly ModuleNode[];
  readonly templates: readonly string[];
  readonly secrets: readonly SecretsFileStatus[];
  readonly warnings: readonly InventoryWarning[];
  readonly flake: FlakeEvaluation;
  /** ms the directory scan took. */
  readonly scanMs: number;
  /** Grows with every change the core publishes, so a store keeps the newest of a reply and an event. */
  readonly revision: number;
}
