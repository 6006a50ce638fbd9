// The one version order of the app: nix's own (builtins.compareVersions), used for package
// versions in closure diffs and for nix's version when choosing its flags.

function nextComponent(s: string, start: number): [string, number] {
  let i = start;
  while (i < s.length && (s[i] === '.' || s[i] === '-')) i++;
  const begin = i;
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  if (digit(s[i])) while (digit(s[i])) i++;
  else while (i < s.length && s[i] !== '.' && s[i] !== '-' && !digit(s[i])) i++;
  return [s.slice(begin, i), i];
}

function componentLess(a: string, b: string): boolean {
  const na = /^\d+$/.test(a) ? Number(a) : undefined;
  const nb = /^\d+$/.test(b) ? Number(b) : undefined;
  if (na !== undefined && nb !== undefined) return na < nb;
  if (a === '' && nb !== undefined) return true;
  if (a === 'pre' && b !== 'pre') return true;
  if (b === 'pre') return false;
  if (nb !== undefined) return true; // "2.3a" < "2.3.1"
  if (na !== undefined) return false;
  return a < b;
}

/** Nix's version order (builtins.compareVersions): negative when a is older than b. */
export function compareVersions(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const [ca, ni] = nextComponent(a, i);
    const [cb, nj] = nextComponent(b, j);
    if (componentLess(ca, cb)) return -1;
    if (componentLess(cb, ca)) return 1;
    if (ni === i && nj === j) break;
    i = ni;
    j = nj;
  }
  return 0;
}
