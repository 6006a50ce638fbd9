/**
 * Entry point of a detached phone EMULATION process (`npm run lab -- phone up`): starts one
 * phone, writes its serial to the ready file, keeps serving until SIGTERM, then removes it.
 * Usage: tsx serve.ts <ready-file> <json StartPhoneOptions>
 */
import { writeFile, appendFile } from 'node:fs/promises';
import { startPhone, type StartPhoneOptions } from './phone.js';

const [readyFile, optionsJson] = process.argv.slice(2);
if (!readyFile || !optionsJson) {
  process.stderr.write('usage: serve.ts <ready-file> <options-json>\n');
  process.exit(2);
}
const options = JSON.parse(optionsJson) as StartPhoneOptions;
let logFile = '';
const phone = await startPhone({
  ...options,
  connect: false,
  detached: true,
  log: (line) => { if (logFile) void appendFile(logFile, `${new Date().toISOString()} ${line}\n`); },
}).catch(async (error: unknown) => {
  await writeFile(readyFile, `ERROR ${(error as Error).message}\n`);
  process.exit(1);
});
logFile = `${phone.dir}/emulator.log`;
await writeFile(readyFile, `${phone.serial}\n`);
const stop = (): void => { void phone.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
