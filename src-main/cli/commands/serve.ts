import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createCore } from '../../core/core';
import { openDataDir } from '../../core/app/data-dir';
import { FleetError } from '../../core/contract';
import { serve } from '../../server/server';
import { resolveCheckoutRoot } from '../checkout-root';
import type { GlobalOptions } from '../core-session';
import { terminalText } from '../output';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `fleet serve`: the app's UI in a browser, on 127.0.0.1 with a token, backed by this process. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the app UI on 127.0.0.1 for a browser (token in the printed URL)')
    .option('--port <port>', 'port to listen on (default: a random free port)', parsePort)
    .option('--renderer <dir>', 'folder of the built UI', path.join(packageRoot, 'out', 'renderer'))
    .action(async (opts: { port?: number; renderer: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const rendererDir = path.resolve(opts.renderer);
      if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
        throw new FleetError('not-found', `The UI is not built: ${rendererDir}/index.html is missing.`, {
          hint: 'Run `npm run build` in the app folder (or use `npm run serve`, which builds first).',
        });
      }
      const example = path.join(packageRoot, 'flake');
      const core = createCore({
        host: 'server',
        dataDir: openDataDir().dataDir,
        ...(fs.existsSync(path.join(example, 'flake.nix')) ? { exampleHomelab: example } : {}),
      });
      const root = resolveCheckoutRoot(global.flake);
      if (global.flake !== undefined || fs.existsSync(path.join(root, 'flake.nix'))) {
        // A folder named with --flake must be a homelab: a clear error (and exit 1), never a silent fallback.
        try {
          await core.invoke('checkout.open', { path: root });
        } catch (error) {
          await core.dispose();
          throw error;
        }
      } else if (!core.context.currentRoot() && fs.existsSync(path.join(example, 'flake.nix'))) {
        await core.invoke('checkout.open', { path: example });
      }
      const server = await serve(core, { rendererDir, ...(opts.port !== undefined ? { port: opts.port } : {}) });
      const problem = core.context.settings.problem;
      if (problem) process.stderr.write(`warning: ${terminalText(problem)}\n`);
      process.stdout.write(`Homelab Fleet is serving ${terminalText(core.context.currentRoot() ?? '(no homelab open)')}\n`);
      process.stdout.write(`Open this URL in your browser (it holds your access token):\n\n    ${server.url}\n\n`);
      const stop = () => {
        process.stderr.write('Stopping...\n');
        void server.close().then(() => core.dispose()).then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise(() => undefined);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FleetError('invalid-input', `--port: ${JSON.stringify(value)} is not a port number (0-65535).`);
  }
  return port;
}
