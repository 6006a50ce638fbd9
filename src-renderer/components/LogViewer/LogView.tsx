import { useCallback, useEffect, useRef, useState, type ClipboardEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { AnsiLine } from './ansi';
import { copyText } from './copy-text';
import type { LogBuffer } from './log-buffer';
import { useVisibleRows } from './visible-rows';
import './log-viewer.css';

export const rowHeight = 18;

export interface LogViewProps {
  readonly buffer: LogBuffer;
  /** Changes whenever the buffer does (the buffer itself is mutable). */
  readonly version: number;
  /** Shown when the buffer is empty. */
  readonly emptyText?: string;
  /** Optional footer text, e.g. where the full log file is. */
  readonly footer?: string;
}

/**
 * A log of any length: only the visible rows exist in the DOM (fixed-height rows), ANSI
 * colours are rendered, the view follows new lines until the person scrolls up (and
 * again when they scroll back to the end or press Follow), search jumps between matches,
 * and lines picked in the gutter (shift-click for a range) copy with Copy or Ctrl+C.
 */
export function LogView({ buffer, version, emptyText = 'No output yet.', footer }: LogViewProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [appliedQuery, setAppliedQuery] = useState('');
  const [matchIndex, setMatchIndex] = useState(0);
  const [selection, setSelection] = useState<{ from: number; to: number } | null>(null);
  const [copied, setCopied] = useState(false);
  const anchor = useRef<number | null>(null);
  const count = buffer.length;

  const rows = useVisibleRows(scrollRef, count, rowHeight, 12);
  const [matches, setMatches] = useState<readonly number[]>([]);
  const [searching, setSearching] = useState(false);

  // Follow the tail: after new lines, jump to the end (no smooth scrolling: it lags behind fast logs).
  // The end is known from the row count: no reading of scrollHeight, which would force a layout.
  useEffect(() => {
    if (!follow || count === 0) return;
    const el = scrollRef.current;
    if (el) el.scrollTop = count * rowHeight;
  }, [version, count, follow]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < rowHeight * 2;
    setFollow((f) => (f === atEnd ? f : atEnd));
  }, []);

  // Search in slices of a few milliseconds so a 200,000-line log never blocks a frame.
  const firstJump = useRef(false);
  useEffect(() => {
    if (!appliedQuery) {
      setMatches([]);
      return;
    }
    let cancelled = false;
    let from = 0;
    const found: number[] = [];
    setSearching(true);
    const step = () => {
      if (cancelled) return;
      const until = performance.now() + 8;
      const total = buffer.length;
      while (from < total && performance.now() < until) {
        const end = Math.min(total, from + 4000);
        for (const i of buffer.searchRange(appliedQuery, from, end)) found.push(i);
        from = end;
      }
      if (from < buffer.length) {
        setTimeout(step, 0);
        return;
      }
      setSearching(false);
      setMatches(found);
    };
    step();
    return () => {
      cancelled = true;
    };
    // The buffer is mutable: search again when its version changes.
  }, [appliedQuery, buffer, version]);

  const scrollToLine = useCallback((index: number) => {
    const el = scrollRef.current;
    if (el) el.scrollTop = Math.max(0, index * rowHeight - el.clientHeight / 2);
  }, []);

  const goTo = useCallback(
    (index: number) => {
      if (matches.length === 0) return;
      const i = ((index % matches.length) + matches.length) % matches.length;
      setMatchIndex(i);
      setFollow(false);
      scrollToLine(matches[i]!);
    },
    [matches, scrollToLine],
  );

  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    if (query !== appliedQuery) {
      setAppliedQuery(query);
      setMatchIndex(0);
      return;
    }
    goTo(matchIndex + (event.shiftKey ? -1 : 1));
  };

  // A new search lands on its first match once the search is done.
  useEffect(() => {
    firstJump.current = true;
  }, [appliedQuery]);
  useEffect(() => {
    if (!firstJump.current || searching || matches.length === 0) return;
    firstJump.current = false;
    goTo(0);
  }, [matches, searching, goTo]);

  const selectedText = useCallback(() => {
    if (!selection) return '';
    const lines: string[] = [];
    for (let i = selection.from; i <= selection.to && i < buffer.length; i++) lines.push(buffer.plain(i));
    return lines.join('\n');
  }, [selection, buffer]);

  const pickLine = (index: number, event: MouseEvent) => {
    if (event.shiftKey && anchor.current !== null) {
      setSelection({ from: Math.min(anchor.current, index), to: Math.max(anchor.current, index) });
    } else {
      anchor.current = index;
      setSelection({ from: index, to: index });
    }
  };

  const copy = async () => {
    const ok = await copyText(selectedText());
    setCopied(ok);
    setTimeout(() => setCopied(false), 1200);
  };

  // Ctrl+C with picked lines and no text selected copies the lines, even those scrolled out of the DOM.
  const onCopy = (event: ClipboardEvent) => {
    const native = window.getSelection();
    if (!selection || (native && !native.isCollapsed)) return;
    event.preventDefault();
    event.clipboardData.setData('text/plain', selectedText());
  };

  const current = matches[matchIndex];
  const items: number[] = [];
  for (let i = rows.first; i < rows.end; i++) items.push(i);
  const selectedCount = selection ? selection.to - selection.from + 1 : 0;

  return (
    <div className="log-view" data-testid="log-view">
      <div className="log-toolbar">
        <input
          className="input log-search"
          type="search"
          placeholder="Search the log (Enter: next, Shift+Enter: previous)"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onSearchKey}
          aria-label="Search the log"
          data-testid="log-search"
        />
        <span className="log-matches muted" data-testid="log-matches">
          {appliedQuery
            ? searching
              ? 'searching…'
              : matches.length > 0
                ? `${matchIndex + 1} / ${matches.length}`
                : 'no matches'
            : `${count.toLocaleString()} lines`}
        </span>
        <span className="log-spacer" />
        <button className="btn" type="button" disabled={selectedCount === 0} onClick={() => void copy()} data-testid="log-copy">
          {copied ? 'Copied' : selectedCount > 1 ? `Copy ${selectedCount} lines` : 'Copy line'}
        </button>
        <button
          className={`btn${follow ? ' primary' : ''}`}
          type="button"
          aria-pressed={follow}
          onClick={() => {
            setFollow(true);
            const el = scrollRef.current;
            if (el) el.scrollTop = el.scrollHeight;
          }}
          data-testid="log-follow"
        >
          {follow ? 'Following' : 'Follow'}
        </button>
      </div>
      <div className="log-scroll" ref={scrollRef} onScroll={onScroll} onCopy={onCopy} tabIndex={0} data-testid="log-scroll">
        {count === 0 ? (
          <div className="log-empty muted">{emptyText}</div>
        ) : (
          <div className="log-canvas" style={{ height: rows.totalHeight }}>
            {items.map((i) => {
              const stream = buffer.stream(i);
              const target = buffer.target(i);
              const picked = selection !== null && i >= selection.from && i <= selection.to;
              return (
                <div
                  // Keys cycle over the rendered window so scrolling reuses row elements instead of replacing them.
                  key={i % items.length}
                  className={`log-row s-${stream}${picked ? ' picked' : ''}${i === current ? ' current' : ''}`}
                  style={{ transform: `translateY(${i * rowHeight}px)` }}
                  data-index={i}
                >
                  <span className="log-gutter" onClick={(e) => pickLine(i, e)} title="Pick this line (shift-click: a range)">
                    {buffer.dropped + i + 1}
                  </span>
                  {target ? <span className="log-target">[{target}]</span> : null}
                  <span className="log-text">
                    <AnsiLine text={buffer.text(i)} query={appliedQuery} />
                  </span>
                </div>
              );
            })}
          </div>
        )}
      </div>
      {footer || buffer.dropped > 0 ? (
        <div className="log-footer faint">
          {buffer.dropped > 0 ? `${buffer.dropped.toLocaleString()} earlier lines are only in the log file. ` : ''}
          {footer}
        </div>
      ) : null}
    </div>
  );
}
