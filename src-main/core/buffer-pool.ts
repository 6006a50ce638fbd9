/**
 * Buffers of one size handed out and given back, so that work that streams many megabytes
 * (a copy's NAR pieces, its SSH packets) writes into the same memory again and again. A fresh
 * buffer for every piece touched pages the process had just returned, and on a VM whose
 * memory the hypervisor takes back (free page reporting) every first touch is a fault into
 * it; each fresh buffer also counts towards the garbage collector's external memory, which
 * starts collections of its own (docs/BENCHMARKS.md, issue 15). What is given back is kept
 * while the work goes on and dropped when nothing has come back for a while.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  /** The memory of buffers handed out and not given back: give() takes back only these, once. */
  private readonly out = new WeakSet<ArrayBufferLike>();
  private lastGiven = 0;
  private made = 0;
  private dropTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Bytes of every buffer. */
    readonly size: number,
    /**
     * Kept for the next takers at most (the rest go to the garbage collector); 0: nothing is
     * reused. No more are kept than were out at once, so a high bound keeps what the busiest
     * moment used (a deploy to 8 hosts at once holds ~100 NAR pieces in flight) until idle.
     */
    private readonly keep = 256,
    private readonly dropAfterMs = 30_000,
  ) {}

  take(): Buffer {
    let buffer = this.free.pop();
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(this.size);
      this.made++;
    }
    if (this.keep > 0) this.out.add(buffer.buffer);
    return buffer;
  }

  /** `piece` (a buffer or a part of one from take()) is done with: its buffer may be reused. Anything else is ignored. */
  give(piece: Buffer): void {
    if (!this.out.has(piece.buffer)) return;
    this.out.delete(piece.buffer);
    if (this.free.length < this.keep) this.free.push(Buffer.from(piece.buffer, 0, this.size));
    this.lastGiven = Date.now();
    this.dropWhenIdle(this.dropAfterMs);
  }

  /** `piece` is kept by its holder for good: never reused, whoever gives it back. */
  detach(piece: Buffer): void {
    this.out.delete(piece.buffer);
  }

  /** Buffers made so far (not taken from those given back). */
  get allocated(): number {
    return this.made;
  }

  /** Buffers kept for reuse now. */
  get kept(): number {
    return this.free.length;
  }

  /** One timer, not one per piece: when it fires, the kept buffers go unless one came back since. */
  private dropWhenIdle(inMs: number): void {
    if (this.dropTimer) return;
    this.dropTimer = setTimeout(() => {
      this.dropTimer = undefined;
      const idleMs = Date.now() - this.lastGiven;
      if (idleMs >= this.dropAfterMs) this.free.splice(0);
      else this.dropWhenIdle(this.dropAfterMs - idleMs);
    }, inMs);
    this.dropTimer.unref?.();
  }
}
