import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packetSlabs } from '../../src-main/core/ssh/packet-alloc';
import { startDeployWorld, type DeployWorld } from './deploy-world';

/**
 * The memory of the SSH packets a connection sends is reused once the socket has written
 * them (ssh/packet-alloc.ts), against a real sshd: megabytes through a channel come out of a
 * few slabs, and the host receives every byte as sent.
 */
describe('SSH packet memory against a real sshd', () => {
  let world: DeployWorld;

  beforeAll(async () => {
    world = await startDeployWorld({ names: ['zephyrus'] });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('40 MB through a channel: a few slabs, reused; the host gets every byte', async () => {
    const connection = await world.connect('zephyrus');
    try {
      const made = packetSlabs.allocated;
      const chunk = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE(i * 2654435761 >>> 0, i);
      // sha256sum reads what arrives; its hash must be that of the 40 chunks sent.
      const result = await connection.exec(['sha256sum'], {
        stdin: Readable.from(
          (function* () {
            for (let i = 0; i < 40; i++) yield chunk;
          })(),
        ),
      });
      const expected = createHash('sha256');
      for (let i = 0; i < 40; i++) expected.update(chunk);
      expect(result.stdout.split(' ')[0]).toBe(expected.digest('hex'));
      // 40 MB of packets is 40 slabs without reuse.
      expect(packetSlabs.allocated - made).toBeLessThan(10);
    } finally {
      connection.close();
    }
  });
});
