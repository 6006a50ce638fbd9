import { describe, expect, it } from 'vitest';
import { buildRootName } from '../../../src-main/core/deploy/build-roots';

// The garbage-collector roots a build host keeps (deploy/build-roots.ts) are files named
// after systems in one folder: a revision's root never takes another system's name, and a
// name that is not safe as a file name gets no root.
describe('build root names', () => {
  it('names a system’s root after it and its revision’s root apart from every system’s', () => {
    expect(buildRootName('tv-box', 'system')).toBe('tv-box');
    expect(buildRootName('tv-box', 'revision')).toBe('tv-box@revision');
    // "." may be in a system's name, "@" never: no system's root is another's revision root.
    expect(buildRootName('tv-box.revision', 'system')).not.toBe(buildRootName('tv-box', 'revision'));
  });

  it('refuses names that would leave the folder or hide in it', () => {
    for (const name of ['../etc', 'a/b', '.pending-1', '', 'a b', '-x']) {
      expect(buildRootName(name, 'system')).toBeUndefined();
      expect(buildRootName(name, 'revision')).toBeUndefined();
    }
  });
});
