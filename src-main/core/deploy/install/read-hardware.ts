import type { CoreContext } from '../../context';
import { FleetError } from '../../contract';
import type { SshConnection } from '../../ssh/connection';
import { sshSessions } from '../../ssh/sessions';
import { hardwareScript, parseHardwareReport, type HardwareFacts } from './hardware-facts';
import type { InstallTarget } from './install-target';

export interface ReachOptions {
  readonly jobId?: string;
  readonly signal?: AbortSignal;
  /** Trust a host key no known_hosts lists (an installer's key is new on every boot). */
  readonly acceptNewHostKey?: boolean;
  readonly connectTimeoutMs?: number;
}

/** Open the one kind of SSH connection the core has to a machine about to be installed. */
export function openInstallConnection(ctx: CoreContext, target: InstallTarget, options: ReachOptions = {}): Promise<SshConnection> {
  return sshSessions(ctx).open(
    { host: target.host, user: target.user, ...(target.port ? { port: target.port } : {}) },
    {
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      ...(options.acceptNewHostKey ? { vouchForKey: () => true } : {}),
    },
  );
}

/** Read a machine's hardware facts over an open connection. */
export async function readHardwareOver(connection: SshConnection, signal?: AbortSignal): Promise<HardwareFacts> {
  const result = await connection.script(hardwareScript, [], signal ? { signal } : {});
  if (result.code !== 0) throw new FleetError('failed', `Reading the hardware failed (exit ${result.code}): ${result.stderr.trim().slice(0, 500)}`);
  const facts = parseHardwareReport(result.stdout);
  if (!facts.arch) throw new FleetError('failed', 'The machine did not report its architecture (is it Linux?).');
  return facts;
}

/** Connect to a machine and read its hardware facts (CPU, memory, disks, NICs, boot mode). */
export async function readHardware(ctx: CoreContext, target: InstallTarget, options: ReachOptions = {}): Promise<HardwareFacts> {
  const connection = await openInstallConnection(ctx, target, options);
  try {
    return await readHardwareOver(connection, options.signal);
  } finally {
    connection.close();
  }
}
