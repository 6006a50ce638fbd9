import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Inventory } from '../../../src-main/core/api';
import { Icon } from '../../components/Icon';
import { useInventoryStore } from '../../stores/inventory';
import { distinct, filterItems, type Filterable } from './filter';
import { FlakeStatus } from './FlakeStatus';
import './inventory.css';

export interface ListItem extends Filterable {
  readonly key: string;
}

export interface ListScreenProps<T extends ListItem> {
  /** "systems", "homes", "droids": test ids and the empty text. */
  readonly kind: string;
  /** One of them: "system", "home", "droid". */
  readonly noun: string;
  readonly title: string;
  readonly items: (inventory: Inventory) => readonly T[];
  readonly row: (item: T) => ReactNode;
  readonly detail: (item: T, inventory: Inventory) => ReactNode;
  // row, detail and items should be module-level functions: stable, so panes are not redrawn per keystroke.
  /** What to tell a person when the checkout has none. */
  readonly empty: ReactNode;
  readonly showTags?: boolean;
  /** Rows get a checkbox; Ctrl/Cmd-click toggles, Shift-click picks a range, Space toggles the current row. */
  readonly selectable?: boolean;
  /** Actions in the list header, given the picked items and every item (e.g. "Deploy 3", "Check hosts"). */
  readonly actions?: (picked: readonly T[], all: readonly T[]) => ReactNode;
}

const rowHeight = 52;

interface DetailProps {
  readonly item: ListItem;
  readonly inventory: Inventory;
  readonly render: (item: never, inventory: Inventory) => ReactNode;
}

/** The detail pane, re-rendered only when its item or the inventory changes (not on each keystroke). */
const DetailPane = memo(function DetailPane({ item, inventory, render }: DetailProps) {
  return <>{render(item as never, inventory)}</>;
});

/** Whether a key press happened while typing somewhere (so "/" is a character there). */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/**
 * One inventory list: search and arch/tag filters, a virtualised list (thousands of rows
 * stay smooth), keyboard moves (arrows, Home/End, "/" to search), and the detail pane of
 * the selected item. Loading, error and empty states are part of it.
 */
export function ListScreen<T extends ListItem>(props: ListScreenProps<T>) {
  const inventory = useInventoryStore((s) => s.inventory);
  const loading = useInventoryStore((s) => s.loading);
  const error = useInventoryStore((s) => s.error);
  const load = useInventoryStore((s) => s.load);
  const [query, setQuery] = useState('');
  const [arch, setArch] = useState('');
  const [tag, setTag] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [picked, setPicked] = useState<ReadonlySet<string>>(() => new Set());
  const anchor = useRef<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!inventory && !loading && !error) void load();
  }, [inventory, loading, error, load]);

  // `#/<kind>/<name>` selects that item (a tray item or a link opened it).
  useEffect(() => {
    const follow = () => {
      const [, route, detail] = location.hash.split('/');
      if (route === props.kind && detail) setSelected(decodeURIComponent(detail));
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [props.kind]);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === '/' && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const { items: listItem } = props;
  const all = useMemo(() => (inventory ? listItem(inventory) : []), [inventory, listItem]);
  const filtered = useMemo(() => filterItems(all, query, arch, tag), [all, query, arch, tag]);
  const arches = useMemo(() => distinct(all.map((i) => i.arch)), [all]);
  const tags = useMemo(() => distinct(all.flatMap((i) => i.tags)), [all]);
  const selectedIndex = filtered.findIndex((i) => i.key === selected);
  const current = selectedIndex >= 0 ? filtered[selectedIndex] : filtered[0];
  // Picks of items that went away (renamed, deleted) drop out on their own.
  const pickedItems = useMemo(() => all.filter((i) => picked.has(i.key)), [all, picked]);

  /** Pick or unpick one row, or (shift) every shown row from the last picked one to it. */
  const pick = (item: T, range: boolean) => {
    const from = range && anchor.current ? filtered.findIndex((i) => i.key === anchor.current) : -1;
    const next = new Set(picked);
    if (from >= 0) {
      const to = filtered.indexOf(item);
      for (let i = Math.min(from, to); i <= Math.max(from, to); i++) next.add(filtered[i]!.key);
    } else if (next.has(item.key)) next.delete(item.key);
    else next.add(item.key);
    anchor.current = item.key;
    setPicked(next);
  };
  const allShownPicked = filtered.length > 0 && filtered.every((i) => picked.has(i.key));

  const virtualizer = useVirtualizer({
    count: filtered.length,
    getScrollElement: () => listRef.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  });

  const move = (index: number) => {
    const next = filtered[Math.max(0, Math.min(filtered.length - 1, index))];
    if (!next) return;
    setSelected(next.key);
    virtualizer.scrollToIndex(filtered.indexOf(next), { align: 'auto' });
  };
  const onListKey = (event: KeyboardEvent) => {
    const at = selectedIndex >= 0 ? selectedIndex : 0;
    const page = Math.max(1, Math.floor((listRef.current?.clientHeight ?? rowHeight * 10) / rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: filtered.length - 1, PageDown: at + page, PageUp: at - page };
    if (props.selectable && !typing(event.target) && (event.key === ' ' || event.key === 'Escape')) {
      event.preventDefault();
      if (event.key === 'Escape') setPicked(new Set());
      else if (current) pick(current, event.shiftKey);
      return;
    }
    const target = moves[event.key];
    if (target === undefined) return;
    // In the search box the arrows move the selection; Home/End and the selectors keep their own meaning.
    if (typing(event.target) && (event.target !== searchRef.current || event.key === 'Home' || event.key === 'End')) return;
    event.preventDefault();
    move(selectedIndex < 0 && event.key === 'ArrowDown' ? 0 : target);
  };

  if (!inventory) {
    if (error) {
      return (
        <div className="page">
          <div className="notice err" role="alert" data-testid="inventory-error">
            <Icon name="warning" />
            <div>
              <div>The inventory could not be read: {error}</div>
              <button className="btn inv-top-gap" onClick={() => void load()}>
                <Icon name="refresh" size={14} /> Try again
              </button>
            </div>
          </div>
        </div>
      );
    }
    return (
      <div className="empty" data-testid="inventory-loading">
        <span className="spinner" /> Scanning the checkout…
      </div>
    );
  }

  return (
    <div className="inv" data-testid={`inventory-${props.kind}`}>
      <section className="inv-list-pane" aria-label={props.title} onKeyDown={onListKey}>
        <div className="inv-toolbar">
          <div className="inv-search">
            <Icon name="search" size={14} />
            <input
              ref={searchRef}
              className="input"
              type="search"
              placeholder={`Filter ${props.kind}   ( / )`}
              aria-label={`Filter ${props.kind} by name, arch: or tag:`}
              data-testid="inventory-search"
              value={query}
              spellCheck={false}
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  if (query) setQuery('');
                  else (e.target as HTMLInputElement).blur();
                } else if (e.key === 'Enter') listRef.current?.focus();
              }}
            />
          </div>
          {arches.length > 1 ? (
            <select className="input inv-select" aria-label="Architecture" data-testid="inventory-arch" value={arch} onChange={(e) => setArch(e.target.value)}>
              <option value="">All arches</option>
              {arches.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          ) : null}
          {props.showTags && tags.length > 0 ? (
            <select className="input inv-select" aria-label="Tag" data-testid="inventory-tag" value={tag} onChange={(e) => setTag(e.target.value)}>
              <option value="">All tags</option>
              {tags.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          ) : null}
        </div>
        <div className="inv-counts-row">
          {props.selectable && filtered.length > 0 ? (
            <input
              type="checkbox"
              className="inv-pick"
              aria-label={`Pick every shown ${props.noun}`}
              title={`Pick every shown ${props.noun}`}
              checked={allShownPicked}
              onChange={() => setPicked(allShownPicked ? new Set() : new Set([...picked, ...filtered.map((i) => i.key)]))}
              data-testid="inventory-pick-all"
            />
          ) : null}
          <span className="inv-counts muted" data-testid="inventory-count">
            {filtered.length === all.length
              ? `${all.length} ${all.length === 1 ? props.noun : props.kind}`
              : `${filtered.length} of ${all.length} ${all.length === 1 ? props.noun : props.kind}`}
          </span>
          {pickedItems.length > 0 ? (
            <span className="inv-picked" data-testid="inventory-picked">
              · {pickedItems.length} picked{' '}
              <button className="btn inv-link" type="button" onClick={() => setPicked(new Set())} data-testid="inventory-unpick">
                clear
              </button>
            </span>
          ) : null}
          <span className="inv-grow" />
          {props.actions ? props.actions(pickedItems, all) : null}
        </div>
        <FlakeStatus inventory={inventory} />
        {all.length === 0 ? (
          <div className="empty inv-empty" data-testid="inventory-empty">
            {props.empty}
            <p className="muted">Kept somewhere else? Open “Checkout” above and set the layout folder.</p>
          </div>
        ) : filtered.length === 0 ? (
          <div className="empty inv-empty" data-testid="inventory-no-match">
            <h2>No match</h2>
            Nothing matches “{query}”{arch ? ` on ${arch}` : ''}
            {tag ? ` tagged ${tag}` : ''}.{' '}
            <button className="btn" onClick={() => (setQuery(''), setArch(''), setTag(''))}>
              Clear filters
            </button>
          </div>
        ) : (
          <div
            ref={listRef}
            className="inv-list"
            role="listbox"
            tabIndex={0}
            aria-label={props.title}
            aria-activedescendant={current ? `inv-${props.kind}-${current.key}` : undefined}
            data-testid="inventory-list"
          >
            <div className="inv-list-inner" style={{ height: virtualizer.getTotalSize() }}>
              {virtualizer.getVirtualItems().map((v) => {
                const item = filtered[v.index] as T;
                const isSelected = item.key === current?.key;
                const isPicked = picked.has(item.key);
                return (
                  <div
                    key={item.key}
                    id={`inv-${props.kind}-${item.key}`}
                    role="option"
                    aria-selected={isSelected}
                    className={isPicked ? 'inv-row inv-row-picked' : 'inv-row'}
                    data-testid="inventory-row"
                    data-name={item.name}
                    data-picked={props.selectable ? (isPicked ? 'yes' : 'no') : undefined}
                    style={{ height: v.size, transform: `translateY(${v.start}px)` }}
                    onClick={(event) => {
                      if (props.selectable && (event.ctrlKey || event.metaKey || event.shiftKey)) {
                        event.preventDefault();
                        pick(item, event.shiftKey);
                      }
                      setSelected(item.key);
                      listRef.current?.focus();
                    }}
                  >
                    {props.selectable ? (
                      <input
                        type="checkbox"
                        className="inv-pick"
                        tabIndex={-1}
                        aria-label={`Pick ${item.name}`}
                        checked={isPicked}
                        onClick={(event) => {
                          event.stopPropagation();
                          pick(item, event.shiftKey);
                        }}
                        onChange={() => undefined}
                        data-testid="inventory-pick"
                      />
                    ) : null}
                    {props.row(item)}
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </section>
      <section className="inv-detail" aria-label="Details" data-testid="inventory-detail">
        {current ? <DetailPane item={current} inventory={inventory} render={props.detail} /> : <div className="empty">Select an item to see its details.</div>}
      </section>
    </div>
  );
}
