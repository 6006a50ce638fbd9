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

/** Forward `from` to `to`, each chunk after oneWayMs, in order, with back-pressure. */
function delayedPipe(from: net.Socket, to: net.Socket): void {
  let waiting = 0;
  from.on('data', (chunk: Buffer) => {
    waiting += chunk.length;
    if (waiting > HIGH_WATER) from.pause();
    // Timers with equal delays fire in the order they were set, which keeps the byte stream ordered.
    setTimeout(() => {
      waiting -= chunk.length;
      const flushed = to.destroyed ? true : to.write(chunk);
      if (waiting <= HIGH_WATER && flushed) from.resume();
      else if (!flushed) to.once('drain', () => from.resume());
    }, oneWayMs);
  });
  from.on('end', () => setTimeout(() => to.end(), oneWayMs));
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
