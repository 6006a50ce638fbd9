import { FleetError } from '../contract';

/** A host as the rolling reboot sees it: its name and the tags it shares with the others. */
export interface RebootMember {
  readonly id: string;
  readonly tags: readonly string[];
}

/** What the rolling reboot allows: how many hosts may be down at once, and whether all of them may. */
export interface RebootLimits {
  /** --parallel: hosts down at the same time (at most). */
  readonly parallel: number;
  /** --all-at-once: no host of the selection (or of one of its tags) has to stay up. */
  readonly allAtOnce: boolean;
}

/**
 * The rolling reboot's rule: at most `parallel` hosts down at once and, unless all at once was
 * asked for, never every host of the selection, nor every selected host of one tag (a tag of
 * two DNS servers keeps one answering). A host holds its slot from the reboot until it is back
 * (or reported as not back). With nothing down a host is always let in, so nobody waits forever.
 */
export class RebootGate {
  private readonly down = new Set<string>();
  private readonly waiting: (() => void)[] = [];
  private readonly tagSizes = new Map<string, number>();
  /** The effective number of hosts down at once (parallel, less one when all would go down). */
  readonly width: number;

  constructor(
    private readonly members: readonly RebootMember[],
    private readonly limits: RebootLimits,
  ) {
    for (const m of members) for (const t of m.tags) this.tagSizes.set(t, (this.tagSizes.get(t) ?? 0) + 1);
    const all = members.length;
    this.width = Math.max(1, limits.allAtOnce || all < 2 ? limits.parallel : Math.min(limits.parallel, all - 1));
  }

  /** Hosts down right now (for progress and tests). */
  get downNow(): readonly string[] {
    return [...this.down];
  }

  /** Why `member` has to wait now, or undefined when it may go down. */
  whyWait(member: RebootMember): string | undefined {
    if (this.down.size === 0) return undefined;
    if (this.down.size >= this.width) return `${[...this.down].join(', ')} ${this.down.size === 1 ? 'is' : 'are'} rebooting (at most ${this.width} at once)`;
    if (this.limits.allAtOnce) return undefined;
    for (const tag of member.tags) {
      const size = this.tagSizes.get(tag) ?? 0;
      const tagDown = this.members.filter((m) => this.down.has(m.id) && m.tags.includes(tag)).length;
      if (size >= 2 && tagDown + 1 >= size) return `the other hosts of @${tag} are rebooting (one stays up)`;
    }
    return undefined;
  }

  /**
   * Wait for the host's turn to go down; resolves to the function that gives the slot back.
   * `onWait` hears why it waits (once per change). Rejects when `signal` aborts.
   */
  async acquire(member: RebootMember, signal: AbortSignal, onWait?: (why: string) => void): Promise<() => void> {
    let told: string | undefined;
    for (;;) {
      if (signal.aborted) throw new FleetError('cancelled', 'cancelled while waiting for its turn to reboot');
      const why = this.whyWait(member);
      if (why === undefined) break;
      if (why !== told) onWait?.(why);
      told = why;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
    this.down.add(member.id);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.down.delete(member.id);
      for (const wake of this.waiting.splice(0)) wake();
    };
  }
}
