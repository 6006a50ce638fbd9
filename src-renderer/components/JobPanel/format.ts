

/** A duration as "4.2 s", "3 min 12 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export { buildHostOf } from '../../../src-main/shared/push-groups';

/** Where a closure is built, in the user's words: "built here", "built on moonlight", "built on the host itself". */
export function builtWhere(builtOn: string): string {
  return builtOn === 'here' ? 'built here' : builtOn === 'the host itself' ? 'built on the host itself' : `built on ${builtOn}`;
}
