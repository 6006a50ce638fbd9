import { main } from './main';

const code = await main(process.argv.slice(2));
// Let stdout drain before leaving; handles (watchers, sockets) must not keep the CLI alive.
process.stdout.write('', () => process.exit(code));
