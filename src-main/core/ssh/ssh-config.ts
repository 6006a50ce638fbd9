import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import SSHConfig from 'ssh-config';

/**
 * How to reach one host, from ~/.ssh/config (Include files expanded, first value wins as
 * in ssh_config(5)). Match exec blocks are never run: the config is data, not a program.
 */
export interface SshHostConfig {
  /** The name the user gave (an alias, a DNS name or an address). */
  readonly alias: string;
  readonly hostName: string;
  readonly user?: string;
  readonly port: number;
  /** Key files in the order ssh would try them (~ expanded). Empty: none configured. */
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** ProxyJump hops in order, each "[user@]host[:port]"; empty for a direct connection. */
  readonly proxyJump: readonly string[];
  /** UserKnownHostsFile entries (~ expanded); empty: the default files. */
  readonly userKnownHostsFiles: readonly string[];
  readonly hostKeyAlias?: string;
  /** ConnectTimeout in seconds, when set. */
  readonly connectTimeout?: number;
  readonly strictHostKeyChecking?: string;
  /** PasswordAuthentication / KbdInteractiveAuthentication: false when the config says no. */
  readonly passwordAuthentication: boolean;
}

export interface SshConfigSource {
  /** The user's home folder (default: $HOME). */
  readonly home?: string;
  /** The config file (default: ~/.ssh/config). */
  readonly file?: string;
}

const maxIncludeDepth = 16;

/** Expand `~` and `%d` (home) / `%u` (local user) the way ssh does for file names. */
export function expandUserPath(p: string, home: string): string {
  let out = p.replace(/%d/g, home).replace(/%u/g, os.userInfo().username).replace(/%%/g, '%');
  if (out === '~') out = home;
  else if (out.startsWith('~/')) out = path.join(home, out.slice(2));
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Files an Include argument names: relative ones are under ~/.ssh; shell globs allowed in the last part. */
function includeFiles(arg: string, home: string): string[] {
  let p = expandUserPath(arg, home);
  if (!path.isAbsolute(p)) p = path.join(home, '.ssh', p);
  const dir = path.dirname(p);
  const base = path.basename(p);
  if (!/[*?[]/.test(base)) return fs.existsSync(p) ? [p] : [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const re = globToRegExp(base);
  return entries.filter((e) => re.test(e)).sort().map((e) => path.join(dir, e));
}

/**
 * The text of a config file with every Include replaced by the files it names. An Include
 * inside a Host block applies to that block only: after the included text the block's own
 * Host line is repeated, so the lines that follow still belong to it (as in OpenSSH).
 */
export function expandIncludes(text: string, home: string, depth = 0): string {
  if (depth > maxIncludeDepth) return '';
  const out: string[] = [];
  let currentBlock: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\w+)(?:\s*=\s*|\s+)(.*?)\s*$/.exec(line);
    const key = m?.[1]?.toLowerCase();
    if (key === 'host' || key === 'match') currentBlock = line;
    if (key !== 'include' || !m) {
      out.push(line);
      continue;
    }
    for (const arg of splitArgs(m[2] ?? '')) {
      for (const file of includeFiles(arg, home)) {
        let included: string;
        try {
          included = fs.readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        out.push(expandIncludes(included, home, depth + 1));
      }
    }
    out.push(currentBlock ?? 'Host *');
  }
  return out.join('\n');
}

function splitArgs(value: string): string[] {
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) args.push(m[1] ?? m[2] ?? '');
  return args;
}

function first(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The last config text parsed, and what it parsed to: a deploy opens two connections to each
 * of its hosts, and parsing a homelab's config for every one of them cost more than the rest
 * of opening it here (node --cpu-prof, 20 hosts). The file is still read every time, so an
 * edit shows at the next connection.
 */
let lastParsed: { readonly text: string; readonly config: ReturnType<typeof SSHConfig.parse> } | undefined;

/** Parse config text (Includes already expanded) and compute the settings of one host. */
export function computeHostConfig(text: string, alias: string, home: string): SshHostConfig {
  if (lastParsed?.text !== text) lastParsed = { text, config: SSHConfig.parse(text) };
  const config = lastParsed.config;
  const c = config.compute(alias, { ignoreCase: true, matchExec: false }) as Record<string, string | string[]>;
  const hostName = (first(c.hostname) ?? alias).replace(/%h/g, alias);
  const port = Number(first(c.port) ?? 22);
  const jump = first(c.proxyjump);
  const timeout = first(c.connecttimeout);
  const user = first(c.user);
  const alias2 = first(c.hostkeyalias);
  const strict = first(c.stricthostkeychecking);
  return {
    alias,
    hostName,
    ...(user ? { user } : {}),
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
    identityFiles: all(c.identityfile).map((f) => expandUserPath(f.replace(/%h/g, hostName).replace(/%r/g, user ?? ''), home)),
    identitiesOnly: /^yes$/i.test(first(c.identitiesonly) ?? ''),
    proxyJump: jump && !/^none$/i.test(jump) ? jump.split(',').map((h) => h.trim()).filter(Boolean) : [],
    userKnownHostsFiles: all(c.userknownhostsfile)
      .flatMap((v) => v.split(/\s+/))
      .filter((f) => f && f !== 'none')
      .map((f) => expandUserPath(f, home)),
    ...(alias2 ? { hostKeyAlias: alias2 } : {}),
    ...(timeout && Number(timeout) > 0 ? { connectTimeout: Number(timeout) } : {}),
    ...(strict ? { strictHostKeyChecking: strict.toLowerCase() } : {}),
    passwordAuthentication: !/^no$/i.test(first(c.passwordauthentication) ?? '') || !/^no$/i.test(first(c.kbdinteractiveauthentication) ?? first(c.challengeresponseauthentication) ?? ''),
  };
}

/** Settings for `alias` from the user's ~/.ssh/config (or none, when there is no file). */
export function resolveSshHost(alias: string, source: SshConfigSource = {}): SshHostConfig {
  const home = source.home ?? process.env.HOME ?? os.homedir();
  const file = source.file ?? path.join(home, '.ssh', 'config');
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // No config: ssh's defaults.
  }
  return computeHostConfig(expandIncludes(text, home), alias, home);
}

/** Split a ProxyJump hop "[user@]host[:port]" (IPv6 in brackets). */
export function parseJumpHop(hop: string): { user?: string; host: string; port?: number } {
  let rest = hop.replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracket) {
    rest = bracket[1] ?? rest;
    if (bracket[2]) port = Number(bracket[2]);
  } else {
    const colon = /^([^:]+):(\d+)$/.exec(rest);
    if (colon) {
      rest = colon[1] ?? rest;
      port = Number(colon[2]);
    }
  }
  return { ...(user ? { user } : {}), host: rest, ...(port ? { port } : {}) };
}
