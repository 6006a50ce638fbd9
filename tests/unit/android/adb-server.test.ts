import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { adbServerAddress, openAdbClient } from '../../../src-main/core/android/adb-server';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('finding the adb server', () => {
  it('reads ANDROID_ADB_SERVER_PORT as adb does and rejects nonsense', () => {
    expect(adbServerAddress({ PATH: '' }).port).toBe(5037);
    expect(adbServerAddress({ PATH: '', ANDROID_ADB_SERVER_PORT: '5137' }).port).toBe(5137);
    expect(() => adbServerAddress({ PATH: '', ANDROID_ADB_SERVER_PORT: 'abc' })).toThrow(/not a port number/);
  });

  it('finds adb on PATH or says it is missing, with how to install it', async () => {
    expect(adbServerAddress({ PATH: '/nonexistent' }).bin).toBeUndefined();
    const address = adbServerAddress({ PATH: '/nonexistent', ANDROID_ADB_SERVER_PORT: String(await closedPort()) });
    await expect(openAdbClient(address)).rejects.toMatchObject({ code: 'adb-missing', hint: expect.stringMatching(/apt install adb/) });
  });
});
