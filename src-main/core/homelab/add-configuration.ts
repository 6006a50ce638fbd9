import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError } from '../contract';
import { isInside, realRoot } from '../checkout/paths';
import { gitAt } from '../git/repo';
import { nixEvalJson } from '../nix/runner';
import { addTarget } from './add-names';
import { copyTemplate, findTemplate, kindFolder, type AddKind } from './add-template';
import { setTopLevelKey } from './meta-edit';
import { unsafeHostReason, unsafeNameReason, unsafeUserReason } from './names';
import { flakeRefFor } from './nix-eval';
import { insideGit } from './scan';
import type { Inventory } from './types';

/** What the person asked to add. */
export interface AddRequest {
  readonly kind: AddKind;
  /** systems/droids: the name; homes: "user" or "user@global|droid|<host>". */
  readonly name: string;
  readonly template?: string;
  /** meta.json "system", e.g. x86_64-linux. */
  readonly system?: string;
  /** meta.json "deploy" of a system. */
  readonly deploy?: { readonly host?: string; readonly user?: string; readonly port?: number; readonly tags?: readonly string[] };
}

/** What was added, as `fleet add --json` prints it. */
export interface AddResult {
  readonly kind: AddKind;
  readonly name: string;
  readonly template: string;
  /** The new folder, relative to the checkout. */
  readonly path: string;
  /** Every file written, relative to the checkout. */
  readonly files: readonly string[];
  /** Whether the files were added to git's index (so a git+file flake sees them). */
  readonly gitAdded: boolean;
  /** The flake's answer for the new configuration: its derivation, or why it was not asked. */
  readonly flake: { readonly state: 'checked'; readonly attribute: string; readonly drvPath: string } | { readonly state: 'unchecked'; readonly reason: string };
}

export interface AddOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Skip the flake check (tests of the file steps on machines without nix). */
  readonly checkFlake?: boolean;
}

const systemPattern = /^[a-z0-9_]+-[a-z0-9_]+$/;

function checkRequest(request: AddRequest): void {
  if (request.system !== undefined && !systemPattern.test(request.system)) {
    throw new FleetError('invalid-input', `"${request.system}" is not a nix system such as x86_64-linux or aarch64-linux.`);
  }
  const d = request.deploy;
  if (!d) return;
  if (request.kind !== 'system') throw new FleetError('invalid-input', `A ${request.kind} has no deploy target in meta.json; only systems do.`);
  const reason =
    (d.host !== undefined ? unsafeHostReason(d.host) : undefined) ??
    (d.user !== undefined ? unsafeUserReason(d.user) : undefined) ??
    d.tags?.map((t) => (unsafeNameReason(t) ? `the tag "${t}" contains characters other than letters, digits, ".", "_" and "-"` : undefined)).find(Boolean);
  if (reason) throw new FleetError('invalid-input', `Cannot use this deploy target: ${reason}.`);
}

/** meta.json for the new configuration: the template's own (if any) with system and deploy set. */
function metaText(existing: string | undefined, request: AddRequest, defaultSystem: string): string | undefined {
  const deploy = request.deploy ? Object.fromEntries(Object.entries(request.deploy).filter(([, v]) => v !== undefined)) : undefined;
  if (existing === undefined && request.system === undefined && deploy === undefined && request.kind === 'home') return undefined;
  let text = existing ?? '{\n  "system": ' + JSON.stringify(defaultSystem) + '\n}\n';
  try {
    if (request.system !== undefined || existing === undefined) text = setTopLevelKey(text, 'system', request.system ?? defaultSystem);
    if (deploy && Object.keys(deploy).length > 0) {
      const current = (JSON.parse(text) as Record<string, unknown>).deploy;
      const merged = typeof current === 'object' && current !== null && !Array.isArray(current) ? { ...(current as Record<string, unknown>), ...deploy } : deploy;
      text = setTopLevelKey(text, 'deploy', merged);
    }
  } catch (error) {
    throw new FleetError('invalid-input', `The template's meta.json is not a JSON object (${(error as Error).message}).`);
  }
  return text;
}

/** Remove what an unfinished add left: the new folder (and its index entries), a kind folder it made, the staging folder. */
async function rollBack(root: string, placed: string | undefined, madeKindDir: string | undefined, staging: string, indexed: boolean): Promise<void> {
  if (placed && indexed) {
    await gitAt(root)
      .raw(['rm', '-r', '-q', '--cached', '--force', '--ignore-unmatch', '--', path.relative(root, placed)])
      .catch(() => undefined);
  }
  if (placed) fs.rmSync(placed, { recursive: true, force: true });
  if (madeKindDir) {
    try {
      fs.rmdirSync(madeKindDir);
    } catch {
      // something else was put there meanwhile: it stays
    }
  }
  fs.rmSync(staging, { recursive: true, force: true });
}

/**
 * Add a system, home or droid from the checkout's templates: copy the template into a
 * staging folder beside systems/, name it, write meta.json, move it into place in one
 * rename, `git add` it (a git+file flake only sees tracked files) and ask the flake for
 * its derivation. When any step fails, everything is removed again and the error says
 * which step: a half-added machine never stays in the checkout.
 */
export async function addConfiguration(inventory: Inventory, request: AddRequest, options: AddOptions = {}): Promise<AddResult> {
  checkRequest(request);
  const root = inventory.root;
  const target = addTarget(request.kind, request.name, inventory);
  const template = findTemplate(inventory.layoutRoot, root, request.kind, request.template);
  const kindDir = path.join(inventory.layoutRoot, kindFolder[request.kind]);
  const rel = (p: string): string => path.relative(root, p).split(path.sep).join('/');
  // A template, or a systems/ folder, symlinked out of the checkout would copy private files in (and git add them) or write elsewhere.
  const base = realRoot(root);
  for (const [what, p] of [['template', template.source], [`${kindFolder[request.kind]}/ folder`, kindDir]] as const) {
    if (fs.existsSync(p) && !isInside(base, realRoot(p))) {
      throw new FleetError('invalid-input', `The ${what} ${rel(p)} is a symlink to ${realRoot(p)}, outside the checkout; nothing was added.`);
    }
  }
  const fileForm = template.form === 'file';
  const finalPath = path.join(kindDir, fileForm ? `${target.entryName}.nix` : target.entryName);
  // Both spellings of a configuration count for discovery: systems/x/ and systems/x.nix.
  for (const p of [path.join(kindDir, target.entryName), path.join(kindDir, `${target.entryName}.nix`)]) {
    if (fs.existsSync(p)) throw new FleetError('invalid-input', `${rel(p)} already exists; choose another name.`);
  }
  if (fileForm && request.kind !== 'home' && (request.system !== undefined || request.deploy)) {
    throw new FleetError('invalid-input', `The template "${template.template}" is a single .nix file, so there is no folder for meta.json; use a folder template.`);
  }

  // The staging folder sits in the layout folder (same filesystem, so the final move is one
  // rename) but outside systems/, homes/ and droids/, so discovery never sees it half made.
  const staging = fs.mkdtempSync(path.join(inventory.layoutRoot, '.fleet-add-'));
  let placed: string | undefined;
  let madeKindDir: string | undefined;
  let indexed = false;
  try {
    const staged = path.join(staging, path.basename(finalPath));
    copyTemplate(template, staged, target.replacement);
    if (!fileForm) {
      const metaFile = path.join(staged, 'meta.json');
      const existing = fs.existsSync(metaFile) ? fs.readFileSync(metaFile, 'utf8') : undefined;
      const meta = metaText(existing, request, request.kind === 'droid' ? 'aarch64-linux' : 'x86_64-linux');
      if (meta !== undefined) fs.writeFileSync(metaFile, meta, { mode: 0o644 });
    }
    const files = listFiles(staged).map((f) => rel(path.join(path.dirname(finalPath), path.relative(staging, f))));
    if (!fs.existsSync(kindDir)) {
      fs.mkdirSync(kindDir);
      madeKindDir = kindDir;
    }
    if (fs.existsSync(finalPath)) throw new FleetError('invalid-input', `${rel(finalPath)} appeared while the new configuration was prepared; nothing was added.`);
    fs.renameSync(staged, finalPath);
    placed = finalPath;
    fs.rmSync(staging, { recursive: true, force: true });

    const gitAdded = insideGit(root);
    if (gitAdded) {
      indexed = true;
      try {
        await gitAt(root).raw(['add', '--', rel(finalPath)]);
      } catch (error) {
        throw new FleetError('git-failed', `git add ${rel(finalPath)} failed: ${(error as Error).message.trim()}`);
      }
    }
    const flake = options.checkFlake === false ? ({ state: 'unchecked', reason: 'not asked' } as const) : await checkInFlake(root, target.checkAttribute, options);
    return { kind: request.kind, name: request.name, template: template.template, path: rel(finalPath), files, gitAdded, flake };
  } catch (error) {
    await rollBack(root, placed, madeKindDir, staging, indexed);
    if (error instanceof FleetError) {
      throw new FleetError(error.code, `${error.message}\nNothing was added: ${rel(finalPath)} was removed again.`, { ...(error.hint ? { hint: error.hint } : {}) });
    }
    throw new FleetError('failed', `Adding ${rel(finalPath)} failed (${(error as Error).message}); nothing was added.`);
  }
}

/** Every regular file under `dir` (or `dir` itself when it is a file). */
function listFiles(dir: string): string[] {
  if (!fs.statSync(dir).isDirectory()) return [dir];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listFiles(path.join(dir, d.name)) : [path.join(dir, d.name)])).sort();
}

/**
 * Ask the flake for the new configuration's derivation: proof that discovery found it and
 * that it evaluates. No nix on this machine is not a failure of the add (it is reported).
 */
async function checkInFlake(root: string, attribute: string, options: AddOptions): Promise<AddResult['flake']> {
  try {
    const drvPath = await nixEvalJson<string>(`${flakeRefFor(root)}#${attribute}.drvPath`, {
      cwd: root,
      root,
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { state: 'checked', attribute, drvPath };
  } catch (error) {
    if (error instanceof FleetError && error.code === 'nix-missing') return { state: 'unchecked', reason: error.message };
    if (error instanceof FleetError && error.code === 'cancelled') throw error;
    throw new FleetError('flake-check-failed', `The flake does not evaluate ${attribute} with the new files: ${(error as Error).message}`);
  }
}
