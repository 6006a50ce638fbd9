import { describe, expect, it } from 'vitest';
import { derivationName, parseNixLogLine } from '../../../src-main/core/nix/internal-json';

describe('parseNixLogLine', () => {
  it('reads a build start with its derivation', () => {
    const e = parseNixLogLine('@nix {"action":"start","fields":["/nix/store/q6wy7ymavzqj14nnrd41wwg8as7wqamr-b.drv","",1,1],"id":7,"level":3,"text":"building","type":105}');
    expect(e).toMatchObject({ kind: 'start', id: 7, type: 105, fields: ['/nix/store/q6wy7ymavzqj14nnrd41wwg8as7wqamr-b.drv', '', 1, 1] });
  });
  it('reads results and stops', () => {
    expect(parseNixLogLine('@nix {"action":"result","fields":[1,3,0,0],"id":9,"type":105}')).toEqual({ kind: 'result', id: 9, type: 105, fields: [1, 3, 0, 0] });
    expect(parseNixLogLine('@nix {"action":"stop","id":9}')).toEqual({ kind: 'stop', id: 9 });
  });
  it('keeps structured error positions', () => {
    const e = parseNixLogLine('@nix {"action":"msg","column":7,"file":"/nix/store/x-source/a.nix","level":0,"line":2,"msg":"error: bad","raw_msg":"bad"}');
    expect(e).toMatchObject({ kind: 'msg', level: 0, error: { file: '/nix/store/x-source/a.nix', line: 2, column: 7, raw_msg: 'bad' } });
  });
  it('turns lines that are not JSON into text, never throwing', () => {
    expect(parseNixLogLine('plain text from a builder')).toEqual({ kind: 'text', text: 'plain text from a builder' });
    expect(parseNixLogLine('@nix {"action":"start","id":')).toEqual({ kind: 'text', text: '@nix {"action":"start","id":' });
    expect(parseNixLogLine('@nix 42')).toEqual({ kind: 'text', text: '@nix 42' });
    expect(parseNixLogLine('@nix {"action":"teleport"}')).toMatchObject({ kind: 'text' });
  });
  it('names derivations', () => {
    expect(derivationName('/nix/store/q6wy7ymavzqj14nnrd41wwg8as7wqamr-hello-2.12.drv')).toBe('hello-2.12');
    expect(derivationName('/nix/store/q6wy7ymavzqj14nnrd41wwg8as7wqamr-hello')).toBe('hello');
  });
});
