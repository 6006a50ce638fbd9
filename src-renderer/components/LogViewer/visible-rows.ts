import { useEffect, useState, type RefObject } from 'react';

/** The rows of a fixed-row-height list that are on screen, plus `overscan` on each side. */
export interface VisibleRows {
  readonly first: number;
  /** One past the last row to render. */
  readonly end: number;
  readonly totalHeight: number;
}

/** Which rows to render for a scroll position: O(1), whatever the number of rows. */
export function visibleRows(scrollTop: number, viewHeight: number, count: number, rowHeight: number, overscan: number): VisibleRows {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((scrollTop + viewHeight) / rowHeight) + overscan);
  return { first, end: Math.max(first, end), totalHeight: count * rowHeight };
}

/**
 * Follow a scroll container's position and size. Every log row has the same height, so
 * the visible window is arithmetic: no per-row measurement pass that would grow with a
 * 200,000-line log on every append (a general virtualiser recomputes all offsets when the
 * count changes).
 */
export function useVisibleRows(ref: RefObject<HTMLElement | null>, count: number, rowHeight: number, overscan = 10): VisibleRows {
  const [view, setView] = useState({ top: 0, height: 600 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
    };
    const onScroll = () => {
      // One update per frame however many scroll events the wheel sends.
      if (!frame) frame = requestAnimationFrame(update);
    };
    update();
    el.addEventListener('scroll', onScroll, { passive: true });
    const observer = new ResizeObserver(() => update());
    observer.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      observer.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ref]);
  return visibleRows(view.top, view.height, count, rowHeight, overscan);
}
