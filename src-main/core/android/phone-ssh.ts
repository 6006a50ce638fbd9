import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as SshClientType, ConnectConfig } from 'ssh2';

// ssh2 is CommonJS: take its parts from the default export (Node's ESM loader has no named ones).
const { Client: SshClient, utils: sshUtils } = ssh2;
type SshClient = SshClientType;
import { FleetError } from '../contract';

/** Who the app is on the phone's sshd, and with which key. */
export interface PhoneLogin {
  readonly user: string;
  /** A private key file; else the defaults in ~/.ssh and the ssh agent. */
  readonly identityFile?: string;
  readonly env: NodeJS.ProcessEnv;
}

/** How the phone's host key is checked: known (by this name) or asked about. */
export interface HostKeyPolicy {
  /** Name the key is remembered under: "adb:<serial>" or "<host>:<port>". */
  readonly name: string;
  readonly knownHostsFile: string;
  /** Ask the person about a key never seen before; true: trust and remember it. */
  readonly askNew: (fingerprint: string) => Promise<boolean>;
}

/** Where the phone's sshd is: a stream through adb (openTcp 8022), or a network address. */
export type PhoneSocket = { readonly sock: Duplex } | { readonly host: string; readonly port: number };

const defaultKeys = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** The key files tried when none is named: ~/.ssh/id_ed25519, id_ecdsa, id_rsa, those that parse without a passphrase. */
export function loginKeys(login: PhoneLogin): Buffer[] {
  const files = login.identityFile ? [login.identityFile] : defaultKeys.map((k) => path.join(login.env.HOME ?? '', '.ssh', k));
  const keys: Buffer[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      if (login.identityFile) throw new FleetError('invalid-input', `Cannot read the identity file ${file}.`);
      continue;
    }
    const parsed = sshUtils.parseKey(data);
    if (parsed instanceof Error) {
      if (login.identityFile) throw new FleetError('invalid-input', `${file} is not a usable private key: ${parsed.message}`, { hint: 'Keys with a passphrase work through the ssh agent (ssh-add).' });
      continue;
    }
    keys.push(data);
  }
  return keys;
}

/** The public half of the admin's first key, as an authorized_keys line. */
export function loginPublicKey(login: PhoneLogin): string | undefined {
  for (const key of loginKeys(login)) {
    const parsed = sshUtils.parseKey(key);
    if (parsed instanceof Error) continue;
    const one = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!one) continue;
    return `${one.type} ${one.getPublicSSH().toString('base64')} fleet@homelab`;
  }
  return undefined;
}

/** SHA256 fingerprint of a host key, as OpenSSH prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function readKnown(file: string): Record<string, string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function remember(file: string, name: string, fingerprint: string): void {
  const known = { ...readKnown(file), [name]: fingerprint };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(known, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, file);
}

/**
 * Open an SSH session to the phone's sshd (Nix-on-Droid, port 8022) over the given socket.
 * A changed host key is refused; a new one is asked about and remembered.
 */
export async function connectPhoneSsh(socket: PhoneSocket, login: PhoneLogin, policy: HostKeyPolicy, signal?: AbortSignal): Promise<SshClient> {
  const keys = loginKeys(login);
  const agent = login.identityFile ? undefined : login.env.SSH_AUTH_SOCK;
  if (keys.length === 0 && !agent) {
    throw new FleetError('no-ssh-key', 'No SSH key to log in to the phone with.', {
      hint: 'Create one with `ssh-keygen -t ed25519`, load it into the ssh agent, or name one with --identity.',
    });
  }
  let rejection: FleetError | undefined;
  const client = new SshClient();
  const config: ConnectConfig = {
    username: login.user,
    readyTimeout: 20_000,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    ...('sock' in socket ? { sock: socket.sock } : { host: socket.host, port: socket.port }),
    ...(agent ? { agent } : {}),
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      const fingerprint = fingerprintOf(key);
      const known = readKnown(policy.knownHostsFile)[policy.name];
      if (known === fingerprint) return verify(true);
      if (known) {
        rejection = new FleetError('host-key-changed', `The phone's SSH host key changed (${policy.name}): expected ${known}, got ${fingerprint}.`, {
          hint: `If you reinstalled Nix-on-Droid or regenerated its key, remove "${policy.name}" from ${policy.knownHostsFile}.`,
        });
        return verify(false);
      }
      void policy.askNew(fingerprint).then((ok) => {
        if (ok) remember(policy.knownHostsFile, policy.name, fingerprint);
        else rejection = new FleetError('host-key-rejected', `The phone's SSH host key ${fingerprint} was not accepted.`);
        verify(ok);
      });
    },
  };
  // ssh2 takes one privateKey; more keys go through authHandler.
  const methods = [...keys.map((k) => ({ type: 'publickey' as const, username: login.user, key: k })), ...(agent ? [{ type: 'agent' as const, username: login.user, agent }] : [])];
  config.authHandler = (_methodsLeft, _partial, next) => {
    const method = methods.shift();
    if (!method) return next(false as never);
    return next(method as never);
  };
  return await new Promise<SshClient>((resolve, reject) => {
    const onAbort = () => {
      client.end();
      reject(new FleetError('cancelled', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(client);
    });
    client.once('error', (error: Error & { level?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      if (rejection) return reject(rejection);
      if (error.level === 'client-authentication') {
        return reject(new FleetError('ssh-auth', `The phone's sshd refused the key for user ${login.user}.`, {
          hint: "Run the setup again (`fleet droid setup`) to put your public key into the phone's authorized_keys.",
        }));
      }
      reject(new FleetError('ssh-failed', `SSH to the phone failed: ${error.message}`, {
        hint: 'Is sshd running in Nix-on-Droid (port 8022)? The setup wizard starts it.',
      }));
    });
    client.connect(config);
  });
}

export interface ExecOutput {
  readonly code: number | null;
  /** The session ended without an exit status: the link dropped. */
  readonly lost: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run one command line (already quoted) on the phone; output chunks go to the callbacks
 * as they come. Cancelling closes the channel (sshd hangs the command up).
 */
export function execOnPhone(
  client: SshClient,
  command: string,
  options: { onStdout?: (text: string) => void; onStdoutBytes?: (chunk: Buffer) => void; onStderr?: (text: string) => void; signal?: AbortSignal; input?: NodeJS.ReadableStream } = {},
): Promise<ExecOutput> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(new FleetError('ssh-failed', `Could not run a command on the phone: ${error.message}`));
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ code, lost: code === null && !options.signal?.aborted, stdout, stderr });
      };
      // sshd keeps a channel open until its command exits (it sends no hangup without a
      // terminal), so a cancelled command is let go at once rather than waited for.
      const onAbort = () => {
        channel.close();
        finish();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      channel.on('data', (chunk: Buffer) => {
        options.onStdoutBytes?.(chunk);
        const text = chunk.toString('utf8');
        stdout += text;
        options.onStdout?.(text);
      });
      channel.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stderr += text;
        options.onStderr?.(text);
      });
      channel.on('exit', (exitCode: number | null) => {
        if (typeof exitCode === 'number') code = exitCode;
      });
      channel.on('close', finish);
      client.once('close', finish);
      if (options.input) options.input.pipe(channel);
      else channel.end();
    });
  });
}
