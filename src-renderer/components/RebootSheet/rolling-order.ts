/** One step of a rolling reboot: the hosts that go down together. */
export interface RebootWave {
  readonly hosts: readonly string[];
  /** The canary: rebooted alone first; the rest wait for it to come back healthy. */
  readonly canary: boolean;
}

/**
 * The order the sheet shows (the core's rolling rule, deploy/reboot-gate.ts): hosts in the order
 * given, a canary alone first, then at most `parallel` at a time, and never every host at once
 * unless `allAtOnce`. Hosts sharing a tag may wait longer than shown (one of a tag stays up).
 */
export function rollingOrder(hosts: readonly string[], parallel: number, canary: boolean, allAtOnce: boolean): readonly RebootWave[] {
  const width = Math.max(1, allAtOnce || hosts.length < 2 ? parallel : Math.min(parallel, hosts.length - 1));
  const rest = canary && hosts.length > 1 ? hosts.slice(1) : [...hosts];
  const waves: RebootWave[] = canary && hosts.length > 1 ? [{ hosts: [hosts[0]!], canary: true }] : [];
  for (let i = 0; i < rest.length; i += width) waves.push({ hosts: rest.slice(i, i + width), canary: false });
  return waves;
}
