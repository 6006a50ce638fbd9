import { FleetError } from '../contract';
import { currentGeneration, parseGenerations } from './generations';
import type { PhoneSession } from './phone-session';
import type { DroidGeneration } from './types';

type Log = (text: string, stream: 'stdout' | 'stderr' | 'info' | 'error') => void;

/** The phone's Nix-on-Droid generations (`nix-on-droid generations`), oldest first. */
export async function phoneGenerations(session: PhoneSession, signal?: AbortSignal): Promise<DroidGeneration[]> {
  const result = await session.run(['nix-on-droid', 'generations'], signal);
  if (result.lost) throw new FleetError('device-lost', 'The connection to the phone dropped.');
  if (result.code !== 0) throw new FleetError('failed', `nix-on-droid generations failed: ${(result.stderr || result.stdout).trim()}`);
  return parseGenerations(result.stdout);
}

/**
 * Switch the phone to an existing generation and activate it (`nix-on-droid
 * switch-generation N`, what `nix-on-droid rollback` runs for the one before). Answers the
 * generation the phone is on afterwards; a failure says where the phone was left.
 */
export async function switchPhoneGeneration(session: PhoneSession, generation: number, options: { readonly signal?: AbortSignal; readonly log: Log }): Promise<number | undefined> {
  const result = await session.connection.exec(['nix-on-droid', 'switch-generation', String(generation)], {
    ...(options.signal ? { signal: options.signal } : {}),
    onStdoutLine: (line) => line && options.log(line, 'stdout'),
    onStderrLine: (line) => line && options.log(line, 'stderr'),
  });
  const after = await currentGeneration(session, options.signal);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n');
    throw new FleetError('rollback-failed', `nix-on-droid switch-generation ${generation} failed (exit ${result.code ?? 'lost'}); the phone is on generation ${after ?? 'unknown'}.\n${tail}`);
  }
  return after;
}
