import * as fs from 'node:fs';
import * as path from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Resolve a URL path to a file inside `root`, refusing anything that would escape it.
 * Unknown paths fall back to index.html (the UI routes in the page).
 */
export function resolveStatic(root: string, urlPath: string): { file: string; type: string } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const candidate = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return undefined;
  let file = candidate;
  try {
    if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  } catch {
    if (path.extname(decoded)) return undefined;
    file = path.join(root, 'index.html');
  }
  if (!fs.existsSync(file)) return undefined;
  return { file, type: contentTypes[path.extname(file)] ?? 'application/octet-stream' };
}
