import { describe, expect, it } from 'vitest';
import { overallProgress, parseBuildJson, targetFraction } from '../../../src-main/core/nix/build';
import { BuildProgressModel } from '../../../src-main/core/nix/build-progress';
import { configurationTarget } from '../../../src-main/core/nix/targets';
import { editorCommand, chooseEditor } from '../../../src-main/core/nix/editor';

const at = (obj: object) => `@nix ${JSON.stringify(obj)}`;

describe('build progress model', () => {
  it('tracks downloads with bytes and running builds with phases', () => {
    const m = new BuildProgressModel('t', undefined, () => undefined, () => 1000, 0);
    m.feed(at({ action: 'start', id: 1, type: 103, level: 0, text: '' }));
    m.feed(at({ action: 'result', id: 1, type: 105, fields: [1, 2, 1, 0] }));
    m.feed(at({ action: 'start', id: 2, type: 102, level: 0, text: '' }));
    m.feed(at({ action: 'result', id: 2, type: 106, fields: [100, 5000] }));
    m.feed(at({ action: 'start', id: 3, type: 100, level: 0, text: 'copying', fields: ['/nix/store/aaa-x', 'https://c', ''] }));
    m.feed(at({ action: 'result', id: 3, type: 105, fields: [1200, 3000, 0, 0] }));
    m.feed(at({ action: 'start', id: 4, type: 105, level: 3, text: 'building', fields: ['/nix/store/0000-hello-1.0.drv', '', 1, 1] }));
    m.feed(at({ action: 'result', id: 4, type: 104, fields: ['configurePhase'] }));
    const s = m.snapshot();
    expect(s).toMatchObject({ downloadsDone: 1, downloadsTotal: 2, bytesDone: 1200, bytesTotal: 5000, stage: 'build' });
    expect(s.running).toEqual([{ drv: '/nix/store/0000-hello-1.0.drv', name: 'hello-1.0', phase: 'configurePhase', startedAt: 1000 }]);
    expect(s.message).toBe('hello-1.0 (configurePhase)');
    m.feed(at({ action: 'stop', id: 3 }));
    // A finished copy counts all its bytes.
    expect(m.downloads().bytesDone).toBe(3000);
  });

  it('rolls targets up into one job progress that reaches 1 only when all are done', () => {
    const a = configurationTarget('system', 'a');
    const b = configurationTarget('system', 'b');
    const p = overallProgress([
      { target: a, final: { target: 'a', status: 'succeeded', done: 3, total: 3 } },
      { target: b },
    ]);
    expect(p.fraction).toBe(0.5);
    expect(p.builds).toMatchObject({ done: 3, total: 3 });
    expect(targetFraction({ target: 'x', status: 'running', done: 5, total: 5 })).toBeLessThan(1);
  });

  it('reads nix build --json', () => {
    expect(parseBuildJson('[{"drvPath":"/nix/store/a.drv","outputs":{"out":"/nix/store/a"}}]')).toEqual([
      { drvPath: '/nix/store/a.drv', outPath: '/nix/store/a' },
    ]);
    expect(parseBuildJson('garbage')).toEqual([]);
  });
});

describe('editor command', () => {
  it('uses each editor\'s go-to-line syntax, as an argument array', () => {
    const t = { file: '/h/a b.nix', line: 4, column: 2 };
    expect(editorCommand(['code'], t)).toEqual(['code', '--goto', '/h/a b.nix:4:2']);
    expect(editorCommand(['nvim'], t)).toEqual(['nvim', '+4', '/h/a b.nix']);
    expect(editorCommand(['my-ed', '--at', '{file}@{line}'], t)).toEqual(['my-ed', '--at', '/h/a b.nix@4']);
    expect(editorCommand(['xdg-open'], t)).toEqual(['xdg-open', '/h/a b.nix']);
  });
  it('prefers settings, then $VISUAL, then $EDITOR, then xdg-open', () => {
    expect(chooseEditor(['zed'], { VISUAL: 'code -w' })).toEqual(['zed']);
    expect(chooseEditor(undefined, { VISUAL: 'code -w', EDITOR: 'vim' })).toEqual(['code', '-w']);
    expect(chooseEditor(undefined, { EDITOR: 'vim' })).toEqual(['vim']);
    expect(chooseEditor(undefined, {})).toEqual(['xdg-open']);
  });
});
