import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The project's own eslint.config.js, run on source text placed (not written) at a path.
const eslint = new ESLint({ cwd: path.resolve(__dirname, '../../..') });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.resolve(__dirname, '../../..', file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// Loading the config and the TypeScript parser takes seconds on a busy machine: no timing is asserted.
describe('the linter keeps the layers', { timeout: 120_000 }, () => {
  it('refuses a lower domain importing a higher one, with no file excepted', async () => {
    const cases: [string, string][] = [
      ['src-main/core/git/handlers.ts', "import { x } from '../closure/diff-job';\nexport const y = x;\n"],
      ['src-main/core/git/anything.ts', "import { x } from '../deploy/history';\nexport const y = x;\n"],
      ['src-main/core/git/anything.ts', "import { x } from '../homelab/scan';\nexport const y = x;\n"],
      ['src-main/core/closure/diff-job.ts', "import { x } from '../android/phone-session';\nexport const y = x;\n"],
      ['src-main/core/closure/home-host.ts', "import { x } from '../deploy/targets';\nexport const y = x;\n"],
      ['src-main/core/android/anything.ts', "import { x } from '../deploy/history';\nexport const y = x;\n"],
      ['src-main/core/nix/anything.ts', "import { x } from '../homelab/scan';\nexport const y = x;\n"],
    ];
    for (const [file, code] of cases) {
      const messages = await restrictedImports(file, code);
      expect(messages.join('\n'), `${file}: ${code}`).toMatch(/is below core\//);
    }
  });

  it('lets a higher domain import a lower one', async () => {
    expect(await restrictedImports('src-main/core/deploy/anything.ts', "import { x } from '../homelab/scan';\nexport const y = x;\n")).toEqual([]);
    expect(await restrictedImports('src-main/core/closure/anything.ts', "import { x } from '../git/repo';\nexport const y = x;\n")).toEqual([]);
    expect(await restrictedImports('src-main/core/android/anything.ts', "import { x } from '../closure/report';\nexport const y = x;\n")).toEqual([]);
  });

  it('refuses child_process anywhere in src-main but core/process', async () => {
    const code = "import { spawn } from 'node:child_process';\nexport const y = spawn;\n";
    for (const file of ['src-main/core/nix/editor.ts', 'src-main/core/deploy/serve-copy.ts', 'src-main/core/android/adb-server.ts', 'src-main/core/ssh/anything.ts', 'src-main/core/app/anything.ts', 'src-main/shell/anything.ts', 'src-main/cli/anything.ts']) {
      expect((await restrictedImports(file, code)).join('\n'), file).toMatch(/Only src-main\/core\/process starts programs/);
      expect((await restrictedImports(file, code.replace('node:child_process', 'child_process'))).join('\n'), file).toMatch(/Only src-main\/core\/process/);
    }
    expect(await restrictedImports('src-main/core/process/run.ts', code)).toEqual([]);
  });

  it('lets the renderer import from src-main only core/api.ts and shared/', async () => {
    const page = 'src-renderer/screens/Inventory/InstallWizard.tsx';
    for (const from of ['../../../src-main/core/deploy/install/contract', '../../../src-main/core/homelab/types', '../../../src-main/shell/tray', '../../../src-main/core/contract']) {
      expect((await restrictedImports(page, `import type { X } from '${from}';\nexport type Y = X;\n`)).join('\n'), from).toMatch(/imports from src-main only types from src-main\/core\/api\.ts/);
    }
    expect(await restrictedImports(page, "import type { X } from '../../../src-main/core/api';\nexport type Y = X;\n")).toEqual([]);
    expect(await restrictedImports(page, "import { formatBytes } from '../../../src-main/shared/units';\nexport const y = formatBytes;\n")).toEqual([]);
  });
});
