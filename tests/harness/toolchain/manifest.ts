import { readFile } from 'node:fs/promises';
import type { Suite } from './suites.js';
import type { ToolVersions } from './versions.js';

/** toolchain.json: written last, so a toolchain without it is half made. */
export interface ToolchainManifest {
  readonly version: 1;
  readonly suite: Suite;
  readonly tools: ToolVersions;
  readonly builtAt: string;
  readonly buildSeconds: number;
  /** Size of the root filesystem on disk. */
  readonly bytes: number;
}

/** The manifest of a toolchain folder, or null when there is none (not built, or half made). */
export async function readManifest(file: string): Promise<ToolchainManifest | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<ToolchainManifest>;
    return parsed.version === 1 && parsed.tools && typeof parsed.bytes === 'number' ? (parsed as ToolchainManifest) : null;
  } catch {
    return null;
  }
}
