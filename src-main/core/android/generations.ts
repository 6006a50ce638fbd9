import { FleetError } from '../contract';
import type { PhoneSession } from './phone-session';
import type { DroidGeneration } from './types';

/** Nix-on-Droid's profile: generations are its nix-on-droid-N-link siblings. */
export const droidProfile = '/nix/var/nix/profiles/nix-on-droid';

/** The generation number a profile link points at ("nix-on-droid-3-link" -> 3). */
export function generationOfLink(link: string): number | undefined {
  const match = /nix-on-droid-(\d+)-link\s*$/.exec(link.trim());
  return match ? Number(match[1]) : undefined;
}

/** Parse `nix-on-droid generations` (nix-env --list-generations): "   3   2026-11-25 19:00:00   (current)". */
export function parseGenerations(text: string): DroidGeneration[] {
  const generations: DroidGeneration[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*(\(current\))?\s*$/.exec(line);
    if (match) generations.push({ number: Number(match[1]), date: match[2] as string, current: Boolean(match[3]) });
  }
  return generations;
}

/** The generation the phone's Nix-on-Droid profile points at, if any. */
export async function currentGeneration(session: PhoneSession, signal?: AbortSignal): Promise<number | undefined> {
  const result = await session.run(['readlink', droidProfile], signal);
  if (result.lost) throw new FleetError('device-lost', 'The connection to the phone dropped.');
  return result.code === 0 ? generationOfLink(result.stdout) : undefined;
}
