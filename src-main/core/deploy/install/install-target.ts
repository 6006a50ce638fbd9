import { FleetError } from '../../contract';
import { unsafeHostReason, unsafeUserReason } from '../../homelab/names';

/** Where an install goes: an ssh target as a person types it, [user@]host[:port]. */
export interface InstallTarget {
  readonly host: string;
  readonly user: string;
  readonly port?: number;
}

/**
 * Parse "[user@]host[:port]" (an ~/.ssh/config alias, a name or an address; IPv6 in
 * brackets). An installer is reached as root unless a user is named.
 */
export function parseInstallTarget(text: string): InstallTarget {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : 'root';
  let host = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const portMatch = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  if (portMatch) {
    host = portMatch[1] ?? host;
    port = Number(portMatch[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FleetError('invalid-input', `${portMatch[2]} is not a port (1-65535).`);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const reason = host === '' ? 'no host given' : (unsafeHostReason(host) ?? unsafeUserReason(user));
  if (reason) throw new FleetError('invalid-input', `Cannot install to "${text}": ${reason}.`, { hint: 'Give the machine as [user@]host[:port], e.g. root@192.168.1.50 or an ~/.ssh/config alias.' });
  return { host, user, ...(port !== undefined ? { port } : {}) };
}
