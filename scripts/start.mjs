#!/usr/bin/env node
// `npm start`: build the app and launch it in Electron on the example homelab (first run)
// or the last checkout. When the Electron binary is missing, say exactly how to get it.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Find the Electron binary without triggering Electron's on-demand download (requiring
 * the `electron` package downloads the binary when it is missing).
 */
export function findElectronBinary() {
  const pkgDir = path.join(root, 'node_modules', 'electron');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name = process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
    const candidate = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return existsSync(candidate) ? candidate : null;
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

export function electronMissingMessage() {
  let version = '?';
  try {
    version = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  } catch {
    // electron not installed at all
  }
  return [
    `The Electron ${version} binary is not installed, so the desktop app cannot start.`,
    '',
    'The electron package downloads its binary separately (it was skipped: install scripts are',
    'gated on this npm, see `npm install-scripts ls`, and ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips it).',
    'To get it, run in this folder (it downloads from the Electron releases, or $ELECTRON_MIRROR):',
    '',
    '    npx install-electron',
    '',
    'or point at an Electron you already have:  ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron-dir npm start',
    '',
    'Without Electron, the same app runs in your browser:  npm run serve',
  ].join('\n');
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const binary = findElectronBinary();
  if (!binary) {
    process.stderr.write(electronMissingMessage() + '\n');
    process.exit(1);
  }
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const child = spawn(binary, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
