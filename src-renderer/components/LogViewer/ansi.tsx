import Anser from 'anser';
import type { CSSProperties, ReactNode } from 'react';

/** The xterm 256-colour palette entry n (16..255) as CSS. */
export function paletteColor(n: number): string | undefined {
  if (n >= 16 && n <= 231) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
  }
  if (n >= 232 && n <= 255) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g}, ${g}, ${g})`;
  }
  return undefined;
}

const basic = /^ansi-(bright-)?(black|red|green|yellow|blue|magenta|cyan|white)$/;

function colour(name: string | null, truecolor: string | null, side: 'fg' | 'bg', classes: string[], style: CSSProperties): void {
  if (!name) return;
  if (basic.test(name)) {
    classes.push(`${name}-${side}`);
    return;
  }
  const palette = /^ansi-palette-(\d+)$/.exec(name);
  const css = palette ? (Number(palette[1]) < 16 ? undefined : paletteColor(Number(palette[1]))) : name === 'ansi-truecolor' && truecolor ? `rgb(${truecolor})` : undefined;
  // Styles set through React use the CSSOM, which the CSP's style-src allows (no style attributes in markup).
  if (css) style[side === 'fg' ? 'color' : 'backgroundColor'] = css;
}

/** Mark every occurrence of `query` in `text` (case-insensitive). */
function highlight(text: string, query: string, key: string): ReactNode {
  if (!query) return text;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (;;) {
    const at = lower.indexOf(query, from);
    if (at < 0) break;
    if (at > from) parts.push(text.slice(from, at));
    parts.push(<mark key={`${key}-${at}`}>{text.slice(at, at + query.length)}</mark>);
    from = at + query.length;
  }
  if (parts.length === 0) return text;
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

/**
 * A log line with its ANSI colours as spans (classes for the 16 colours, so the theme
 * decides them) and search matches marked. Cursor movements and other codes are dropped.
 */
export function AnsiLine({ text, query }: { readonly text: string; readonly query: string }): ReactNode {
  const q = query.toLowerCase();
  if (!text.includes('\x1b')) return highlight(text, q, 'p');
  const chunks = Anser.ansiToJson(text, { use_classes: true, remove_empty: true });
  return chunks.map((chunk, i) => {
    const classes: string[] = [];
    const style: CSSProperties = {};
    colour(chunk.fg, chunk.fg_truecolor, 'fg', classes, style);
    colour(chunk.bg, chunk.bg_truecolor, 'bg', classes, style);
    for (const d of chunk.decorations ?? []) classes.push(`ansi-${d}`);
    const content = highlight(chunk.content, q, String(i));
    if (classes.length === 0 && Object.keys(style).length === 0) return <span key={i}>{content}</span>;
    return (
      <span key={i} className={classes.join(' ')} style={style}>
        {content}
      </span>
    );
  });
}
