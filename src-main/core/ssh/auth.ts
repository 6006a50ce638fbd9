import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type NextAuthHandler, type ParsedKey } from 'ssh2';

// ssh2 is CommonJS: its named exports are only reachable through the default export under ESM.
const { utils } = ssh2;

/** Asks the person for a key's passphrase; undefined when they decline. */
export type PassphrasePrompt = (keyFile: string) => Promise<string | undefined>;

/** Asks the person for the login password of `who` (user@host); undefined when they decline. */
export type PasswordPrompt = (who: string, retry: boolean) => Promise<string | undefined>;

/** Passphrases (by key file) and login passwords (by user@host) typed during this run of the app: memory only, never written. */
export class PassphraseCache {
  private readonly byFile = new Map<string, string>();
  get(file: string): string | undefined {
    return this.byFile.get(file);
  }
  set(file: string, passphrase: string): void {
    this.byFile.set(file, passphrase);
  }
  forget(file: string): void {
    this.byFile.delete(file);
  }
}

export interface AuthPlan {
  readonly username: string;
  /** $SSH_AUTH_SOCK, tried first. */
  readonly agentSocket?: string;
  /** Key files tried after the agent, in order. */
  readonly keyFiles: readonly string[];
  readonly askPassphrase?: PassphrasePrompt;
  readonly passphrases: PassphraseCache;
  /**
   * Last, when the server still offers it: the login password (method "password" or a
   * keyboard-interactive "Password:" prompt), asked for once and kept with the passphrases
   * under `password:<who>`; up to 3 attempts.
   */
  readonly askPassword?: PasswordPrompt;
  /** Password logins allowed at all (ssh_config PasswordAuthentication/KbdInteractiveAuthentication not both "no"). */
  readonly passwords?: boolean;
  /** user@host[:port], naming the password in prompts and in the cache. */
  readonly who?: string;
}

/** The key files ssh tries when the config names none. */
export function defaultKeyFiles(home: string): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(home, '.ssh', n));
}

/**
 * Keys read and parsed already, by file, while the file is unchanged: a deploy opens two
 * connections per host, and each parse of an OpenSSH key file (a bcrypt round for an
 * encrypted one) was repeated for each. Memory only, as the passphrases are.
 */
const loadedKeys = new Map<string, { readonly stamp: string; readonly key: ParsedKey }>();

function stampOf(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** Load a private key, asking for its passphrase (up to 3 times) when it is encrypted. */
async function loadKey(file: string, plan: AuthPlan): Promise<ParsedKey | undefined> {
  const stamp = stampOf(file);
  const known = loadedKeys.get(file);
  if (known && stamp !== undefined && known.stamp === stamp) return known.key;
  const key = await readKey(file, plan);
  if (key && stamp !== undefined) loadedKeys.set(file, { stamp, key });
  return key;
}

async function readKey(file: string, plan: AuthPlan): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const plain = utils.parseKey(data);
  if (!(plain instanceof Error)) return signingOnce(Array.isArray(plain) ? (plain[0] as ParsedKey | undefined) : plain);
  if (!/encrypted|passphrase/i.test(plain.message)) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const passphrase = plan.passphrases.get(file) ?? (await plan.askPassphrase?.(file));
    if (passphrase === undefined) return undefined;
    const parsed = utils.parseKey(data, passphrase);
    if (!(parsed instanceof Error)) {
      plan.passphrases.set(file, passphrase);
      return signingOnce(Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed);
    }
    plan.passphrases.forget(file);
  }
  return undefined;
}

/**
 * An Ed25519 key that signs with a key object made once: ssh2 signs with the key's PEM text,
 * which OpenSSL decodes again for every signature (~0.5 ms here against ~0.04 ms). The same
 * signature (Ed25519 is deterministic); the key is ssh2's parsed key in every other respect.
 */
export function signingOnce(key: ParsedKey | undefined): ParsedKey | undefined {
  if (!key || key.type !== 'ssh-ed25519') return key;
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key.getPrivatePEM());
  } catch {
    return key;
  }
  const faster = Object.create(key) as ParsedKey;
  faster.sign = (data: Buffer | string, algo?: string) => {
    if (algo) return key.sign(data, algo);
    try {
      return cryptoSign(null, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
    } catch (error) {
      // As ssh2's own sign: an Error returned, not thrown (its client checks for one).
      return error as unknown as Buffer;
    }
  };
  return faster;
}

/**
 * ssh2's authHandler for a plan: the agent first, then each key file (a passphrase is only
 * asked for when the key is actually reached), then the password when the server offers it
 * and the plan may ask, then nothing more.
 */
export function authHandlerFor(plan: AuthPlan, tried: string[]): AuthHandlerMiddleware {
  const queue: ('agent' | string)[] = [...(plan.agentSocket ? ['agent'] : []), ...plan.keyFiles];
  const passwordKey = `password:${plan.who ?? plan.username}`;
  let passwordAttempts = 0;
  const password = async (methodsLeft: readonly string[] | null, callback: NextAuthHandler): Promise<void> => {
    const offered = methodsLeft === null ? ['password', 'keyboard-interactive'] : methodsLeft.filter((m) => m === 'password' || m === 'keyboard-interactive');
    if (!plan.passwords || offered.length === 0 || passwordAttempts >= 3) return callback(false as unknown as AnyAuthMethod);
    // A second visit here means the server refused the password just sent.
    if (passwordAttempts > 0) plan.passphrases.forget(passwordKey);
    // Without a way to ask (status checks), only a password typed earlier in this run is used.
    const value = plan.passphrases.get(passwordKey) ?? (await plan.askPassword?.(plan.who ?? plan.username, passwordAttempts > 0));
    passwordAttempts++;
    if (value === undefined) return callback(false as unknown as AnyAuthMethod);
    plan.passphrases.set(passwordKey, value);
    if (!tried.includes('password')) tried.push('password');
    if (offered.includes('password')) return callback({ type: 'password', username: plan.username, password: value });
    callback({
      type: 'keyboard-interactive',
      username: plan.username,
      // Every question the server asks in this round gets the password (PAM's "Password:").
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => value)),
    });
  };
  const next = (methodsLeft: readonly string[] | null, callback: NextAuthHandler): void => {
    const item = queue.shift();
    if (item === undefined) {
      password(methodsLeft, callback).catch(() => callback(false as unknown as AnyAuthMethod));
      return;
    }
    if (item === 'agent') {
      tried.push('ssh-agent');
      return callback({ type: 'agent', username: plan.username, agent: plan.agentSocket! });
    }
    loadKey(item, plan).then(
      (key) => {
        if (!key) return next(methodsLeft, callback);
        tried.push(item);
        callback({ type: 'publickey', username: plan.username, key });
      },
      () => next(methodsLeft, callback),
    );
  };
  return (methodsLeft, _partial, callback) => {
    next(methodsLeft, callback);
  };
}

/**
 * The public half of the first usable login key, as an authorized_keys line: the named
 * key file, else the default ones. Read from `<key>.pub` when it is there (so a key with a
 * passphrase needs none), else derived from an unencrypted private key.
 */
export function loginPublicKey(home: string, identityFile?: string): string | undefined {
  for (const file of identityFile ? [identityFile] : defaultKeyFiles(home)) {
    try {
      const line = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
      if (line.length >= 2 && line[0] && line[1]) return `${line[0]} ${line[1]} fleet@homelab`;
    } catch {
      // no .pub beside it: derive it below
    }
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      continue;
    }
    const parsed = utils.parseKey(data);
    const one = parsed instanceof Error ? undefined : Array.isArray(parsed) ? parsed[0] : parsed;
    if (one) return `${one.type} ${one.getPublicSSH().toString('base64')} fleet@homelab`;
  }
  return undefined;
}
