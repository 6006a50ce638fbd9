import type { Command } from 'commander';
import type { Settings } from '../../core/api';
import { FleetError } from '../../core/contract';
import { withSession, type CliSession } from '../core-session';
import { printJson, terminalText } from '../output';

/**
 * `fleet settings`: show the app's settings, and choose the editor. The editor is a
 * program the app starts on its own, so it is set only where a person is at the
 * keyboard: here or in the desktop app's Settings, never from a browser page.
 */
export function registerSettings(program: Command): void {
  const settings = program
    .command('settings')
    .description('show the app settings (shared by the desktop app, `fleet serve` and the CLI)')
    .option('--json', 'print the settings as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withSession(command, async (session) => {
        const value = await session.call('settings.get', {});
        if (opts.json) return printJson(value);
        process.stdout.write(`theme: ${value.theme}\nbuilds at once: ${value.buildConcurrency}\n`);
        printEditor(value, session);
      });
    });
  settings
    .command('editor [words...]')
    .description('set the editor that opens files at a line, e.g. `fleet settings editor code --goto {file}:{line}` (run without a shell)')
    .option('--reset', 'forget the editor: use $VISUAL, $EDITOR, or the system opener')
    // The editor's own options (--goto, -w) are words of the command, not options of fleet.
    .allowUnknownOption()
    .action(async (words: string[], opts: { reset?: boolean }, command: Command) => {
      if (!opts.reset && words.length === 0) {
        throw new FleetError('invalid-input', 'Name the editor program, e.g. `fleet settings editor code --goto {file}:{line}`, or pass --reset.');
      }
      await withSession(command, async (session) => {
        const value = await session.call('settings.setEditor', { editor: opts.reset ? null : words });
        printEditor(value, session);
      });
    });
}

/** The editor line both subcommands print, and the settings file's problem, if any, on stderr. */
function printEditor(value: Settings, session: CliSession): void {
  process.stdout.write(`editor: ${value.editor ? terminalText(value.editor.join(' ')) : '(from $VISUAL, $EDITOR, or the system opener)'}\n`);
  const problem = session.core.context.settings.problem;
  if (problem) process.stderr.write(`warning: ${terminalText(problem)}\n`);
}
