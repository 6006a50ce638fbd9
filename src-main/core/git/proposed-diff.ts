import { createTwoFilesPatch } from 'diff';
import { languageOf, type FileDiff } from './file-diff';

/**
 * The diff of a file the app is about to write (`before` undefined: a new file), in git's
 * format so the diff viewer shows it like any change of the checkout.
 */
export function proposedFileDiff(rel: string, before: string | undefined, after: string): FileDiff {
  // createTwoFilesPatch starts with a "====" line; git's header replaces it.
  const body = createTwoFilesPatch(before === undefined ? '/dev/null' : `a/${rel}`, `b/${rel}`, before ?? '', after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1)
    .join('\n');
  const patch = before === after ? '' : `diff --git a/${rel} b/${rel}\n${before === undefined ? 'new file mode 100644\n' : ''}${body}`;
  return { path: rel, binary: false, patch, bytes: Buffer.byteLength(patch), truncated: false, language: languageOf(rel) };
}
