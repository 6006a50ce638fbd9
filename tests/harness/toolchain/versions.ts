import { run } from '../hosts/run.js';

/** The Nix and OpenSSH a set of binaries are, found by running them. */
export interface ToolVersions {
  /** e.g. "2.34.8" */
  readonly nix: string;
  /** e.g. "10.2p1" */
  readonly openssh: string;
}

/** "nix (Nix) 2.34.8" -> "2.34.8". */
export function nixVersionOf(text: string): string | null {
  return /\(.*?\)\s+(\d+\.\d+(?:\.\d+)?\S*)/.exec(text)?.[1] ?? null;
}

/** "OpenSSH_10.2p1 Debian-1, OpenSSL 3.5.4 ..." -> "10.2p1". */
export function opensshVersionOf(text: string): string | null {
  return /OpenSSH_([0-9][0-9A-Za-z.]*)/.exec(text)?.[1] ?? null;
}

/** Run `nix --version` and `ssh -V` from the given programs; throws with their output when either fails. */
export async function toolVersions(nix: string, ssh: string): Promise<ToolVersions> {
  const nixOut = await run(nix, ['--version'], { timeoutMs: 30_000 });
  const nixVersion = nixOut.code === 0 ? nixVersionOf(nixOut.stdout) : null;
  if (!nixVersion) throw new Error(`${nix} --version failed (exit ${nixOut.code}): ${(nixOut.stderr || nixOut.stdout).trim()}`);
  const sshOut = await run(ssh, ['-V'], { timeoutMs: 30_000 });
  // ssh -V prints on stderr.
  const sshVersion = sshOut.code === 0 ? opensshVersionOf(sshOut.stderr + sshOut.stdout) : null;
  if (!sshVersion) throw new Error(`${ssh} -V failed (exit ${sshOut.code}): ${(sshOut.stderr || sshOut.stdout).trim()}`);
  return { nix: nixVersion, openssh: sshVersion };
}
