// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const uiOrNetwork = ['electron', 'react', 'react-dom', 'react-dom/client', 'node:http', 'http', 'node:https', 'https', 'ws'];
const coreUiOrNetwork = uiOrNetwork.map((name) => ({
  name,
  message: 'src-main/core must not import electron, React or HTTP/WebSocket code: put it in shell/, server/ or src-renderer/.',
}));
const coreFrontEnds = [{ group: ['**/shell/**', '**/server/**', '**/cli/**', '**/src-renderer/**'], message: 'core must not import its front ends.' }];
// One session layer reaches machines: a second ssh2 Client elsewhere is how three ways to
// open SSH (and a passphrase typed twice) came about.
const onlySshLayer = {
  name: 'ssh2',
  message: 'Only src-main/core/ssh opens SSH: use sshSessions(ctx).open(...) (core/ssh/sessions.ts) and the types of core/ssh/connection.ts.',
};

// One process runner: every local program starts through core/process (argument arrays, own
// process group, tree killed on cancel, bounded output, errors reported).
const oneProcessRunner = ['child_process', 'node:child_process'].map((name) => ({
  name,
  message: 'Only src-main/core/process starts programs: use runProcess/spawnProcess (core/process/run.ts) or startProgram (core/process/start.ts).',
}));

// Domains depend one way: a lower one never imports a higher one (docs/ARCHITECTURE.md).
const domainLevels = [['ssh', 'process'], ['nix', 'git'], ['homelab', 'closure'], ['android'], ['deploy']];
// No exceptions: a verb that needs a higher domain lives in that domain (or is passed in by core.ts).
const higherThan = (domain) => {
  const level = domainLevels.findIndex((l) => l.includes(domain));
  return domainLevels.slice(level + 1).flat();
};
const domainOrder = domainLevels.flat().map((domain) => ({
  files: [`src-main/core/${domain}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [...coreUiOrNetwork, ...(domain === 'ssh' ? [] : [onlySshLayer]), ...(domain === 'process' ? [] : oneProcessRunner)],
        patterns: [
          ...coreFrontEnds,
          ...higherThan(domain).map((higher) => ({
            group: [`../${higher}/*`, `../../${higher}/*`, `**/core/${higher}/*`],
            message: `core/${domain} is below core/${higher} (ssh, process < nix, git < homelab, closure < android < deploy): move the code up, or pass what it needs in.`,
          })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'flake/**', 'test-output/**', 'tests/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', window: 'readonly',
        document: 'readonly', location: 'readonly', history: 'readonly', WebSocket: 'readonly', performance: 'readonly',
        requestAnimationFrame: 'readonly', cancelAnimationFrame: 'readonly', navigator: 'readonly', Notification: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly',
        queueMicrotask: 'readonly', structuredClone: 'readonly', __dirname: 'readonly', NodeJS: 'readonly', Electron: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // The core is plain Node: the same code serves Electron, the server and the CLI.
    files: ['src-main/core/**/*.ts'],
    ignores: ['src-main/core/ssh/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...coreUiOrNetwork, onlySshLayer, ...oneProcessRunner], patterns: coreFrontEnds }],
    },
  },
  {
    files: ['src-main/core/ssh/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...coreUiOrNetwork, ...oneProcessRunner], patterns: coreFrontEnds }],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/core/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [onlySshLayer, ...oneProcessRunner] }],
    },
  },
  {
    // The page never touches Electron or Node directly: only the contract via client.ts.
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer talks to the core only through client.ts (window.fleet or the WebSocket).' },
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' },
            {
              group: ['**/src-main/core/*', '!**/src-main/core/api', '**/src-main/core/*/**', '**/src-main/shell/**', '**/src-main/cli/**', '**/src-main/server/**'],
              message: 'The renderer imports from src-main only types from src-main/core/api.ts (re-export what it needs there) and src-main/shared/.',
            },
          ],
        },
      ],
    },
  },
  ...domainOrder,
);
