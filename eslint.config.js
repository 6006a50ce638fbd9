// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const uiOrNetwork = ['electron', 'react', 'react-dom', 'react-dom/client', 'node:http', 'http', 'node:https', 'https', 'ws'];

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
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: uiOrNetwork.map((name) => ({
            name,
            message: 'src-main/core must not import electron, React or HTTP/WebSocket code: put it in shell/, server/ or src-renderer/.',
          })),
          patterns: [
            { group: ['**/shell/**', '**/server/**', '**/cli/**', '**/src-renderer/**'], message: 'core must not import its front ends.' },
          ],
        },
      ],
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
          patterns: [{ group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' }],
        },
      ],
    },
  },
);
