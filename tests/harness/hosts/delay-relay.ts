/**
 * A TCP relay that adds latency, because this kernel has no netem. Started inside a host's
 * network namespace by slowLink(): it owns <address>:22 and forwards to sshd on 127.0.0.1:22,
 * holding every chunk for half the requested round-trip delay in each direction.
 *
 * Usage: node --import tsx delay-relay.ts <listenHost> <listenPort> <targetHost> <targetPort> <roundTripMs>
 */
import net from 'node:net';

const [listenHost, listenPort, targetHost, targetPort, roundTrip] = process.argv.slice(2);
if (!listenHost || !listenPort || !targetHost || !targetPort || !roundTrip) {
  process.stderr.write('usage: delay-relay <listenHost> <listenPort> <targetHost> <targetPort> <roundTripMs>\n');
  process.exit(2);
}
const oneWayMs = Number(roundTrip) / 2;
// Pause the sender when this much is waiting for its delay, so a fast side cannot fill memory.
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Forward `from` to `to`, each chunk after oneWayMs, in order, with back-pressure. Chunks wait
 * in one queue behind one timer, and every chunk due when it fires goes out in one write
 * (cork/uncork): a timer and a write per chunk made the relay cost the hosts more CPU than a
 * router would (a 50 Mbit/s link arrives a packet or two at a time).
 */
function delayedPipe(from: net.Socket, to: net.Socket): void {
  let waiting = 0;
  let timer: NodeJS.Timeout | undefined;
  let draining = false;
  const queue: { readonly due: number; readonly chunk?: Buffer }[] = [];
  const arm = (): void => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(1, Math.ceil(queue[0]!.due - performance.now())));
  };
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    let due = 0;
    while (due < queue.length && queue[due]!.due <= now) due++;
    let flushed = true;
    to.cork();
    for (const { chunk } of queue.splice(0, due)) {
      // No chunk: the end of the stream, as late as the data before it.
      if (!chunk) {
        to.end();
        continue;
      }
      waiting -= chunk.length;
      if (!to.destroyed && !to.write(chunk)) flushed = false;
    }
    to.uncork();
    if (!flushed && !draining) {
      // One drain listener at a time (one per full write piled up listeners on a slow link).
      draining = true;
      to.once('drain', () => {
        draining = false;
        from.resume();
      });
    } else if (flushed && !draining && waiting <= HIGH_WATER) from.resume();
    arm();
  };
  from.on('data', (chunk: Buffer) => {
    waiting += chunk.length;
    if (waiting > HIGH_WATER) from.pause();
    queue.push({ due: performance.now() + oneWayMs, chunk });
    arm();
  });
  from.on('end', () => {
    queue.push({ due: performance.now() + oneWayMs });
    arm();
  });
}

const server = net.createServer((client) => {
  const upstream = net.connect({ host: targetHost, port: Number(targetPort) });
  // A router forwards each packet as it comes: no Nagle here, or every small exchange would
  // also wait for the peer's delayed ACK (~40 ms), which is not the latency asked for.
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', () => setTimeout(() => upstream.destroy(), oneWayMs + 50));
  upstream.on('close', () => setTimeout(() => client.destroy(), oneWayMs + 50));
  delayedPipe(client, upstream);
  delayedPipe(upstream, client);
});
server.on('error', (error) => {
  process.stderr.write(`delay-relay: ${error.message}\n`);
  process.exit(1);
});
server.listen(Number(listenPort), listenHost, () => {
  process.stdout.write(`delay-relay ${listenHost}:${listenPort} -> ${targetHost}:${targetPort}, +${roundTrip} ms round trip\n`);
});
