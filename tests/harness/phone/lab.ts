/**
 * `npm run lab -- phone up [scenario] [options]` / `phone down` / `phone list`: the phone
 * EMULATION for people and scripts. `up` leaves a detached emulator process running, connects
 * the adb server to it and prints the serial (127.0.0.1:PORT) on stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { connectAdb, downPhones, type PhoneScenario, type StartPhoneOptions } from './phone.js';
import { PHONES_DIR } from './sandbox.js';
import type { AuthMode } from './transport.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS: readonly PhoneScenario[] = ['none', 'installed', 'bootstrapped', 'ready'];
const AUTH_MODES: readonly AuthMode[] = ['accept', 'skip', 'deny'];

const USAGE = `usage: lab phone up [none|installed|bootstrapped|ready] [--key FILE.pub] [--abi ABI] [--auth accept|skip|deny] [--port N]
       lab phone down
       lab phone list`;

/** The admin's public key for a ready phone: --key, else ~/.ssh/id_{ed25519,ecdsa,rsa}.pub, else the SSH lab's key. */
function defaultKey(): string | undefined {
  const candidates = [
    ...['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub'].map((name) => join(homedir(), '.ssh', name)),
    '/tmp/fleet-lab/id_ed25519.pub',
  ];
  const found = candidates.find((path) => existsSync(path));
  return found ? readFileSync(found, 'utf8').trim() : undefined;
}

function parseUp(args: readonly string[]): StartPhoneOptions {
  let scenario: PhoneScenario = 'ready';
  let authorizedKey = defaultKey();
  let abi: string | undefined;
  let auth: AuthMode = 'accept';
  let serialPort: number | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const value = (): string => {
      const next = args[i + 1];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if ((SCENARIOS as readonly string[]).includes(arg)) scenario = arg as PhoneScenario;
    else if (arg === '--key') authorizedKey = readFileSync(value(), 'utf8').trim();
    else if (arg === '--abi') abi = value();
    else if (arg === '--auth') {
      const mode = value();
      if (!(AUTH_MODES as readonly string[]).includes(mode)) throw new Error(`--auth must be one of ${AUTH_MODES.join(', ')}`);
      auth = mode as AuthMode;
    } else if (arg === '--port') serialPort = Number(value());
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { scenario, authorizedKey, abi, auth, serialPort };
}

async function up(options: StartPhoneOptions): Promise<number> {
  await mkdir(PHONES_DIR, { recursive: true });
  const readyFile = join('/tmp', `fleet-phone-ready-${process.pid}-${Date.now()}`);
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'serve.ts'), readyFile, JSON.stringify(options)], {
    detached: true, stdio: 'ignore', cwd: join(HERE, '../../..'),
  });
  child.unref();
  const deadline = Date.now() + 30_000;
  while (!existsSync(readyFile) || (await readFile(readyFile, 'utf8')).trim() === '') {
    if (Date.now() > deadline || child.exitCode !== null) {
      process.stderr.write('the phone emulation did not start\n');
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const answer = (await readFile(readyFile, 'utf8')).trim();
  await rm(readyFile, { force: true });
  if (answer.startsWith('ERROR')) {
    process.stderr.write(`${answer}\n`);
    return 1;
  }
  await connectAdb(answer, options.auth ?? 'accept');
  process.stdout.write(`${answer}\n`);
  process.stderr.write([
    `emulated phone (${options.scenario}) connected to the adb server as ${answer}`,
    options.scenario === 'ready'
      ? `  ssh: adb -s ${answer} forward tcp:8022 tcp:8022 && ssh -p 8022 nix-on-droid@127.0.0.1${options.authorizedKey ? '' : ' (no key given: use --key FILE.pub)'}`
      : `  set it up with the app's Droids wizard, or: adb -s ${answer} shell am start -n com.termux.nix/com.termux.app.TermuxActivity`,
    '  remove: npm run lab -- phone down', '',
  ].join('\n'));
  return 0;
}

function list(): number {
  if (!existsSync(PHONES_DIR)) return 0;
  for (const name of readdirSync(PHONES_DIR)) {
    const owner = join(PHONES_DIR, name, 'owner.json');
    if (!existsSync(owner)) continue;
    const info = JSON.parse(readFileSync(owner, 'utf8')) as { serial?: string; scenario?: string; pid?: number };
    process.stdout.write(`${info.serial ?? name}\t${info.scenario ?? '?'}\tpid ${info.pid ?? '?'}\n`);
  }
  return 0;
}

/** Runs `lab phone <args>`; returns the exit code. */
export async function phoneCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  try {
    if (verb === 'up') return await up(parseUp(rest));
    if (verb === 'down') { await downPhones(); return 0; }
    if (verb === 'list') return list();
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}
