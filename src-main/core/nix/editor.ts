import * as fs from 'node:fs';
import * as path from 'node:path';
import { FleetError, assertNever } from '../contract';
import { requireInsideRoots } from '../checkout/paths';
import { startProgram } from '../process/start';
import { locateProgram } from './which';

/** A file position to open. */
export interface EditorTarget {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * The argument array that opens `target` with `editor` (a command word or a template
 * from settings). Templates use {file}, {line} and {column}; known editors get their own
 * "go to line" syntax; anything else gets the file alone.
 */
export function editorCommand(editor: readonly string[], target: EditorTarget): string[] {
  const line = String(target.line ?? 1);
  const column = String(target.column ?? 1);
  if (editor.some((w) => w.includes('{file}'))) {
    return editor.map((w) => w.replaceAll('{file}', target.file).replaceAll('{line}', line).replaceAll('{column}', column));
  }
  const program = path.basename(editor[0] ?? '');
  const rest = editor.slice(1);
  switch (program) {
    case 'code':
    case 'codium':
    case 'code-insiders':
    case 'cursor':
      return [editor[0]!, ...rest, '--goto', `${target.file}:${line}:${column}`];
    case 'subl':
    case 'zed':
    case 'hx':
    case 'kate':
      return [editor[0]!, ...rest, `${target.file}:${line}:${column}`];
    case 'vi':
    case 'vim':
    case 'nvim':
    case 'nano':
    case 'emacs':
    case 'emacsclient':
    case 'gedit':
    case 'micro':
    case 'kak':
      return [editor[0]!, ...rest, `+${line}`, target.file];
    case 'idea':
    case 'webstorm':
      return [editor[0]!, ...rest, '--line', line, target.file];
    default:
      return [editor[0]!, ...rest, target.file];
  }
}

/** The editor to use: settings, then $VISUAL, $EDITOR, then the desktop's default (xdg-open). */
export function chooseEditor(configured: readonly string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  if (configured && configured.length > 0) return [...configured];
  // $VISUAL/$EDITOR are single words or simple "code -w" strings; split on spaces, never run a shell.
  for (const variable of [env.VISUAL, env.EDITOR]) {
    const words = variable?.trim().split(/\s+/).filter(Boolean);
    if (words && words.length > 0) return words;
  }
  return ['xdg-open'];
}

/** How long an editor that fails at once (a launcher with no display, a wrong flag) is waited for. */
const earlyExitMs = 750;

/**
 * Open a file of the checkout at a line in the person's editor. Only files whose real
 * path is inside `allowedRoots` open (the UI passes locations from nix errors; nothing
 * else). The editor itself is only ever chosen by the person (settings.setEditor, which
 * the WebSocket bridge refuses, or $VISUAL/$EDITOR).
 * Resolves with the argument array used once the editor has started; fails with a message
 * when it could not be started or exited with an error straight away.
 */
export async function openInEditor(target: EditorTarget, options: { editor?: readonly string[]; env: NodeJS.ProcessEnv; allowedRoots: readonly string[] }): Promise<string[]> {
  // The real path: a symlinked file or folder that leads out of the checkout (or into .git/) is refused.
  const file = requireInsideRoots(target.file, options.allowedRoots);
  if (!fs.existsSync(file)) throw new FleetError('not-found', `${file} does not exist.`);
  const argv = editorCommand(chooseEditor(options.editor, options.env), { ...target, file });
  const program = argv[0]!;
  const resolved = program.includes('/') ? program : locateProgram(program, options.env);
  if (!resolved) {
    throw new FleetError('not-found', `The editor "${program}" was not found.`, {
      hint: 'Set the editor in Settings (e.g. ["code", "--goto", "{file}:{line}"]) or set $VISUAL.',
    });
  }
  const hint = 'Check the editor command in Settings (e.g. ["code", "--goto", "{file}:{line}"]) or $VISUAL.';
  const started = await startProgram(resolved, argv.slice(1), { env: options.env, settleMs: earlyExitMs });
  switch (started.state) {
    case 'running':
      return argv;
    case 'failed':
      throw new FleetError('editor-failed', `The editor "${program}" could not be started: ${started.message}`, { hint });
    case 'exited':
      throw new FleetError('editor-failed', `The editor "${program}" exited ${started.signal ? `on signal ${started.signal}` : `with status ${started.code}`} without opening ${path.basename(file)}.`, { hint });
    default:
      return assertNever(started);
  }
}
