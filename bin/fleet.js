#!/usr/bin/env node
// The `fleet` command. The CLI is TypeScript run through tsx's loader, so it works right
// after `npm install` with no build step and no install script.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/entry.ts');
