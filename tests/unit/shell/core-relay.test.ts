import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startCoreRelay } from '../../../src-main/shell/core-relay';
import { parseCoreRequest } from '../../../src-main/shell/core-protocol';

/** A stand-in for Electron's UtilityProcess (the Electron binary is not available here). */
class FakeUtilityProcess extends EventEmitter {
  readonly sent: unknown[] = [];
  killed = false;
  postMessage(message: unknown) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
}

describe('the main process relays to the core in a utility process', () => {
  it('routes replies by id and fans events out', async () => {
    const children: FakeUtilityProcess[] = [];
    const relay = startCoreRelay(() => {
      const child = new FakeUtilityProcess();
      children.push(child);
      return child as never;
    }, '/app/out/main/core-process.js', {});
    const events: unknown[] = [];
    relay.onEvent((e) => events.push(e));
    const a = relay.invoke('settings.get', {});
    const b = relay.invoke('jobs.list', { limit: 5 });
    const [first, second] = children[0]!.sent as { id: number }[];
    children[0]!.emit('message', { type: 'reply', id: second!.id, reply: { ok: true, result: 'B' } });
    children[0]!.emit('message', { type: 'reply', id: first!.id, reply: { ok: true, result: 'A' } });
    children[0]!.emit('message', { type: 'event', event: { type: 'prompt.resolved', id: 'x' } });
    expect(await a).toEqual({ ok: true, result: 'A' });
    expect(await b).toEqual({ ok: true, result: 'B' });
    expect(events).toEqual([{ type: 'prompt.resolved', id: 'x' }]);
  });

  it('when the core crashes, waiting calls get an error and a new core starts', async () => {
    const children: FakeUtilityProcess[] = [];
    const relay = startCoreRelay(() => {
      const child = new FakeUtilityProcess();
      children.push(child);
      return child as never;
    }, '/x.js', {});
    const pending = relay.invoke('deploy.start', {});
    children[0]!.emit('exit', 139);
    const reply = await pending;
    expect(reply).toMatchObject({ ok: false, error: { message: expect.stringMatching(/core stopped \(exit code 139\)/) } });
    expect(children).toHaveLength(2);
    relay.shutdown();
    expect(children[1]!.sent.at(-1)).toEqual({ type: 'shutdown' });
    children[1]!.emit('exit', 0);
    expect(children).toHaveLength(2);
  });

  it('the core process accepts only well-formed requests', () => {
    expect(parseCoreRequest({ type: 'invoke', id: 1, name: 'settings.get', input: {} })).toEqual({ type: 'invoke', id: 1, name: 'settings.get', input: {} });
    expect(parseCoreRequest({ type: 'invoke', id: '1', name: 'x' })).toBeUndefined();
    expect(parseCoreRequest('shutdown')).toBeUndefined();
    expect(parseCoreRequest(null)).toBeUndefined();
  });
});
