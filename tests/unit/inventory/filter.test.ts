import { describe, expect, it } from 'vitest';
import { distinct, filterItems, parseQuery } from '../../../src-renderer/screens/Inventory/filter';

const items = [
  { name: 'moonlight', arch: 'x86_64-linux', tags: ['server'], text: 'systems/moonlight moonlight.lan' },
  { name: 'zephyrus', arch: 'x86_64-linux', tags: ['laptop'], text: 'systems/zephyrus zephyrus' },
  { name: 'pi-garage', arch: 'aarch64-linux', tags: ['server', 'edge'], text: 'systems/pi-garage 10.0.0.7' },
];
const names = (list: readonly { name: string }[]) => list.map((i) => i.name);

describe('inventory list filter', () => {
  it('splits free words from arch: and tag: terms', () => {
    expect(parseQuery('  Moon arch:AARCH64 tag:edge x ')).toEqual({ words: ['moon', 'x'], arch: ['aarch64'], tags: ['edge'] });
    expect(parseQuery('arch: tag:')).toEqual({ words: ['arch:', 'tag:'], arch: [], tags: [] });
  });

  it('matches words against name, path and deploy host, all words required', () => {
    expect(names(filterItems(items, 'moon'))).toEqual(['moonlight']);
    expect(names(filterItems(items, '10.0.0'))).toEqual(['pi-garage']);
    expect(names(filterItems(items, 'systems ZEPH'))).toEqual(['zephyrus']);
    expect(names(filterItems(items, 'moon zeph'))).toEqual([]);
  });

  it('narrows by arch and tag, from the query or the selectors', () => {
    expect(names(filterItems(items, 'arch:aarch64'))).toEqual(['pi-garage']);
    expect(names(filterItems(items, 'tag:server'))).toEqual(['moonlight', 'pi-garage']);
    expect(names(filterItems(items, '', 'x86_64-linux', 'server'))).toEqual(['moonlight']);
    expect(names(filterItems(items, 'tag:serv'))).toEqual([]);
  });

  it('returns everything for an empty query, and lists distinct values sorted', () => {
    expect(filterItems(items, '  ')).toHaveLength(3);
    expect(distinct(items.flatMap((i) => i.tags))).toEqual(['edge', 'laptop', 'server']);
  });
});
