import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../settings/atomic-file';
import { maxRecent } from '../settings/settings';

/** The entries of an old data folder that are ours (an Electron userData folder also holds Chromium's). */
const ourEntries = ['settings.json', 'deploys.jsonl', 'jobs.jsonl', 'logs', 'known_hosts', 'deploy-eval-cache.json', 'android'] as const;

/** A file merged line by line: the history and job index (ids are unique), accepted host keys. */
const lineFiles = new Set(['deploys.jsonl', 'jobs.jsonl', 'known_hosts']);

/** Caches: dropped when the new folder has its own. */
const caches = new Set(['deploy-eval-cache.json']);

/**
 * Move the app's data from old folders into `target`, without loss: a file the target lacks
 * is moved; history, job index and known_hosts lines are merged; settings are merged (the
 * target's values win, recent checkouts and per-checkout records are joined); any other file
 * both hold is kept under `moved-from/<n>/` in the target. A lock folder keeps two processes
 * starting at once from moving the same files. Returns the folders data was moved from.
 */
export function moveLegacyData(sources: readonly string[], target: string): string[] {
  const present = sources.filter((s) => ourEntries.some((e) => fs.existsSync(path.join(s, e))));
  if (present.length === 0) return [];
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const lock = path.join(target, '.moving-in');
  try {
    fs.mkdirSync(lock);
  } catch {
    // Another process is moving the data right now (or died doing it: retried once it is old).
    const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (age < 60_000) return [];
    fs.rmSync(lock, { recursive: true, force: true });
    return moveLegacyData(sources, target);
  }
  try {
    for (const [index, source] of present.entries()) {
      for (const entry of ourEntries) moveEntry(path.join(source, entry), path.join(target, entry), path.join(target, 'moved-from', String(index + 1), entry));
      fs.appendFileSync(path.join(target, 'moved-in.log'), `${new Date().toISOString()} moved the app's data from ${source}\n`, { mode: 0o600 });
      fs.writeFileSync(path.join(source, 'MOVED.txt'), `Homelab Fleet keeps its data in ${target} now; it was moved there from this folder.\n`);
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return present;
}

function moveEntry(from: string, to: string, aside: string): void {
  const stat = fs.lstatSync(from, { throwIfNoEntry: false });
  if (!stat) return;
  const name = path.basename(from);
  if (!fs.existsSync(to)) return moveAcross(from, to);
  if (stat.isDirectory()) {
    for (const child of fs.readdirSync(from)) moveEntry(path.join(from, child), path.join(to, child), path.join(aside, child));
    fs.rmSync(from, { recursive: true, force: true });
    return;
  }
  if (lineFiles.has(name)) return appendLines(from, to);
  if (caches.has(name)) return fs.rmSync(from, { force: true });
  if (name === 'settings.json' && mergeSettings(from, to)) return;
  fs.mkdirSync(path.dirname(aside), { recursive: true });
  moveAcross(from, aside);
}

/** rename, or copy + remove when the folders are on different filesystems. */
function moveAcross(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}

/** Append the lines of `from` that `to` lacks, then remove `from`. */
function appendLines(from: string, to: string): void {
  const text = fs.readFileSync(to, 'utf8');
  const have = new Set(text.split('\n'));
  const missing = fs.readFileSync(from, 'utf8').split('\n').filter((line) => line.trim() && !have.has(line));
  if (missing.length > 0) fs.appendFileSync(to, (text === '' || text.endsWith('\n') ? '' : '\n') + missing.join('\n') + '\n');
  fs.rmSync(from, { force: true });
}

type Json = Record<string, unknown>;

/** Merge two settings files into `to` (its values win); false when either is not a JSON object. */
function mergeSettings(from: string, to: string): boolean {
  let older: Json;
  let newer: Json;
  try {
    older = JSON.parse(fs.readFileSync(from, 'utf8')) as Json;
    newer = JSON.parse(fs.readFileSync(to, 'utf8')) as Json;
  } catch {
    return false;
  }
  if (!isObject(older) || !isObject(newer)) return false;
  const merged: Json = { ...older, ...newer };
  const recent = [...asStrings(newer.recent), ...asStrings(older.recent)];
  if (recent.length > 0) merged.recent = [...new Set(recent)].slice(0, maxRecent);
  for (const key of ['layoutRoots', 'droidLinks', 'deploy']) {
    if (isObject(older[key]) || isObject(newer[key])) merged[key] = { ...(isObject(older[key]) ? older[key] : {}), ...(isObject(newer[key]) ? newer[key] : {}) };
  }
  writeFileAtomic(to, JSON.stringify(merged, null, 2) + '\n');
  fs.rmSync(from, { force: true });
  return true;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
