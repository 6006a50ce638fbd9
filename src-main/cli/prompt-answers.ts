import * as readline from 'node:readline';
import type { PromptRequest } from '../core/app/contract';
import { terminalText } from './output';

export interface PromptPolicy {
  /** --accept-new-host-keys: accept unknown (never changed) host keys. */
  readonly acceptNewHostKeys?: boolean;
  /** --yes: answer confirmations with yes. */
  readonly yes?: boolean;
}

/**
 * Answer a question a job asks, on the terminal. Without a terminal, host keys follow
 * --accept-new-host-keys, confirmations --yes, and secrets are declined with a message
 * (never read from an argument, where they would land in shell history).
 */
export async function answerOnTerminal(
  request: PromptRequest,
  policy: PromptPolicy,
): Promise<{ accept: boolean; value?: string }> {
  const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  switch (request.kind) {
    case 'host-key': {
      if (policy.acceptNewHostKeys) {
        process.stderr.write(`${request.message}\nAccepted (--accept-new-host-keys): ${request.fingerprint ?? ''}\n`);
        return { accept: true };
      }
      if (!tty) {
        process.stderr.write(`${request.message}\nNot accepted: rerun with --accept-new-host-keys after checking the fingerprint.\n`);
        return { accept: false };
      }
      const answer = await ask(`${request.message}\nFingerprint ${request.fingerprint ?? '?'}\nAccept this host key? [y/N] `);
      return { accept: /^y(es)?$/i.test(answer.trim()) };
    }
    case 'confirm': {
      if (policy.yes) return { accept: true, ...(request.confirmText !== undefined ? { value: request.confirmText } : {}) };
      if (!tty) {
        process.stderr.write(`${request.message}\nNot confirmed: rerun with --yes to confirm.\n`);
        return { accept: false };
      }
      if (request.confirmText !== undefined) {
        // What is destroyed is typed out, never a reflex "y".
        const typed = (await ask(`${request.message}\nType ${request.confirmText} to confirm: `)).trim();
        if (typed !== request.confirmText) process.stderr.write(`"${terminalText(typed)}" is not ${request.confirmText}: not confirmed.\n`);
        return { accept: typed === request.confirmText, value: typed };
      }
      const answer = await ask(`${request.message} [y/N] `);
      return { accept: /^y(es)?$/i.test(answer.trim()) };
    }
    case 'secret': {
      if (!tty) {
        process.stderr.write(`${request.message}\nCannot ask for ${request.secretLabel ?? 'a secret'} without a terminal.\n`);
        return { accept: false };
      }
      const value = await ask(`${request.secretLabel ?? request.title}: `, true);
      return { accept: true, value };
    }
  }
}

function ask(question: string, hidden = false): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (hidden) {
      // Echo nothing while the secret is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stderr.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer);
    });
  });
}
