/**
 * Reading the phone's screen (`uiautomator dump`) to follow Nix-on-Droid's first-run
 * bootstrap: the "Bootstrap zipball location" dialog, the installing spinner, the
 * "set it up with flakes?" question, then its terminal.
 */

export type AppScreen =
  | { readonly kind: 'url-dialog'; readonly ok?: { readonly x: number; readonly y: number } }
  | { readonly kind: 'installing' }
  | { readonly kind: 'flakes-question'; readonly text: string }
  | { readonly kind: 'terminal'; readonly text: string; readonly atPrompt: boolean }
  | { readonly kind: 'other'; readonly foreground?: string };

function unescapeXml(text: string): string {
  return text.replace(/&#10;/g, '\n').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

interface UiNode {
  readonly text: string;
  readonly resourceId: string;
  readonly className: string;
  readonly pkg: string;
  readonly bounds?: { x1: number; y1: number; x2: number; y2: number };
}

/** The nodes of a uiautomator dump, flat. */
export function parseUiNodes(xml: string): UiNode[] {
  const nodes: UiNode[] = [];
  for (const match of xml.matchAll(/<node\b([^>]*)>/g)) {
    const attrs = match[1] ?? '';
    const attr = (name: string) => unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '');
    const b = /^\[(\d+),(\d+)\]\[(\d+),(\d+)\]$/.exec(attr('bounds'));
    nodes.push({
      text: attr('text'),
      resourceId: attr('resource-id'),
      className: attr('class'),
      pkg: attr('package'),
      ...(b ? { bounds: { x1: Number(b[1]), y1: Number(b[2]), x2: Number(b[3]), y2: Number(b[4]) } } : {}),
    });
  }
  return nodes;
}

const appId = 'com.termux.nix';

/** What Nix-on-Droid shows, from a uiautomator dump. */
export function readAppScreen(xml: string): AppScreen {
  const nodes = parseUiNodes(xml);
  const app = nodes.filter((n) => n.pkg === appId);
  if (app.length === 0) return { kind: 'other', ...(nodes[0]?.pkg ? { foreground: nodes[0].pkg } : {}) };
  if (app.some((n) => /Bootstrap zipball location/i.test(n.text))) {
    const ok = app.find((n) => n.resourceId === 'android:id/button1' || (n.className.endsWith('Button') && /^OK$/i.test(n.text)));
    return { kind: 'url-dialog', ...(ok?.bounds ? { ok: { x: Math.round((ok.bounds.x1 + ok.bounds.x2) / 2), y: Math.round((ok.bounds.y1 + ok.bounds.y2) / 2) } } : {}) };
  }
  // The progress dialog, not the terminal (whose text may well start with "Installing").
  if (app.some((n) => !n.className.endsWith('TerminalView') && /^Installing/i.test(n.text))) return { kind: 'installing' };
  const terminal = app.find((n) => n.className.endsWith('TerminalView'));
  const text = terminal?.text ?? app.map((n) => n.text).join('\n');
  const lastLine = text.split('\n').filter((l) => l.length > 0).pop() ?? '';
  if (/set it up with flakes\? \(y\/N\)\s*$/i.test(lastLine)) return { kind: 'flakes-question', text };
  return { kind: 'terminal', text, atPrompt: /[$#] ?$/.test(lastLine) };
}
