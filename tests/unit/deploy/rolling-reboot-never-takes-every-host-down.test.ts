import { describe, expect, it } from 'vitest';
import { RebootGate, type RebootMember } from '../../../src-main/core/deploy/reboot-gate';

const host = (id: string, ...tags: string[]): RebootMember => ({ id, tags });

describe('the rolling reboot gate', () => {
  it('lets at most --parallel hosts down at once and the next one in when a slot is given back', async () => {
    const gate = new RebootGate([host('a'), host('b'), host('c')], { parallel: 1, allAtOnce: false });
    const signal = new AbortController().signal;
    const releaseA = await gate.acquire(host('a'), signal);
    expect(gate.downNow).toEqual(['a']);
    expect(gate.whyWait(host('b'))).toBe('a is rebooting (at most 1 at once)');
    let bIn = false;
    const b = gate.acquire(host('b'), signal).then((release) => {
      bIn = true;
      return release;
    });
    await Promise.resolve();
    expect(bIn).toBe(false);
    releaseA();
    const releaseB = await b;
    expect(gate.downNow).toEqual(['b']);
    releaseB();
    releaseB(); // giving a slot back twice changes nothing
    expect(gate.downNow).toEqual([]);
  });

  it('keeps one host of the selection up unless all at once was asked for', () => {
    const members = [host('a'), host('b'), host('c')];
    expect(new RebootGate(members, { parallel: 3, allAtOnce: false }).width).toBe(2);
    expect(new RebootGate(members, { parallel: 3, allAtOnce: true }).width).toBe(3);
    expect(new RebootGate([host('a')], { parallel: 1, allAtOnce: false }).width).toBe(1);
  });

  it('keeps one selected host of every tag up', async () => {
    const members = [host('dns1', 'dns'), host('dns2', 'dns'), host('web', 'web')];
    const gate = new RebootGate(members, { parallel: 2, allAtOnce: false });
    const signal = new AbortController().signal;
    await gate.acquire(members[0]!, signal);
    expect(gate.whyWait(members[1]!)).toBe('the other hosts of @dns are rebooting (one stays up)');
    expect(gate.whyWait(members[2]!)).toBeUndefined();
    const allAtOnce = new RebootGate(members, { parallel: 3, allAtOnce: true });
    await allAtOnce.acquire(members[0]!, signal);
    expect(allAtOnce.whyWait(members[1]!)).toBeUndefined();
  });

  it('stops waiting when the job is cancelled', async () => {
    const gate = new RebootGate([host('a'), host('b')], { parallel: 1, allAtOnce: false });
    const cancel = new AbortController();
    await gate.acquire(host('a'), cancel.signal);
    const waiting = gate.acquire(host('b'), cancel.signal);
    cancel.abort();
    await expect(waiting).rejects.toThrow('cancelled while waiting for its turn to reboot');
  });
});
