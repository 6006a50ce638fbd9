import * as fs from 'node:fs';
import * as path from 'node:path';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type NextAuthHandler, type ParsedKey } from 'ssh2';

// ssh2 is CommonJS: its named exports are only reachable through the default export under ESM.
const { utils } = ssh2;

/** Asks the person for a key's passphrase; undefined when they decline. */
export type PassphrasePrompt = (keyFile: string) => Promise<string | undefined>;

/** Passphrases typed during this run of the app, by key file: memory only, never written. */
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
}

/** The key files ssh tries when the config names none. */
export function defaultKeyFiles(home: string): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(home, '.ssh', n));
}

/** Load a private key, asking for its passphrase (up to 3 times) when it is encrypted. */
async function loadKey(file: string, plan: AuthPlan): Promise<ParsedKey | undefined> {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const plain = utils.parseKey(data);
  if (!(plain instanceof Error)) return Array.isArray(plain) ? (plain[0] as ParsedKey | undefined) : plain;
  if (!/encrypted|passphrase/i.test(plain.message)) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const passphrase = plan.passphrases.get(file) ?? (await plan.askPassphrase?.(file));
    if (passphrase === undefined) return undefined;
    const parsed = utils.parseKey(data, passphrase);
    if (!(parsed instanceof Error)) {
      plan.passphrases.set(file, passphrase);
      return Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    }
    plan.passphrases.forget(file);
  }
  return undefined;
}

/**
 * ssh2's authHandler for a plan: the agent first, then each key file (a passphrase is only
 * asked for when the key is actually reached), then nothing more.
 */
export function authHandlerFor(plan: AuthPlan, tried: string[]): AuthHandlerMiddleware {
  const queue: ('agent' | string)[] = [...(plan.agentSocket ? ['agent'] : []), ...plan.keyFiles];
  const next = (callback: NextAuthHandler): void => {
    const item = queue.shift();
    // ssh2 takes `false` for "no more methods" although its types do not say so.
    if (item === undefined) return callback(false as unknown as AnyAuthMethod);
    if (item === 'agent') {
      tried.push('ssh-agent');
      return callback({ type: 'agent', username: plan.username, agent: plan.agentSocket! });
    }
    loadKey(item, plan).then(
      (key) => {
        if (!key) return next(callback);
        tried.push(item);
        callback({ type: 'publickey', username: plan.username, key });
      },
      () => next(callback),
    );
  };
  return (_methodsLeft, _partial, callback) => {
    next(callback);
  };
}
