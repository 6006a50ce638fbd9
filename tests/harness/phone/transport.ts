/**
 * One ADB connection from the adb server to the emulated phone: handshake, AUTH, and the
 * multiplexed streams (OPEN/OKAY/WRTE/CLSE) with one write in flight per stream, both ways.
 */
import type { Socket } from 'node:net';
import { randomBytes, type KeyObject } from 'node:crypto';
import {
  A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_SYNC, A_VERSION, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE,
  AUTH_TOKEN, MAX_PAYLOAD, MessageReader, commandName, encodeMessage, type Message,
} from './protocol.js';
import { parseAndroidPublicKey, verifyTokenSignature } from './auth.js';

/** accept: prompt answered "Allow"; skip: adbd with auth disabled (ro.adb.secure=0); deny: prompt never answered. */
export type AuthMode = 'accept' | 'skip' | 'deny';

/** The device end of one stream, handed to a service. */
export interface StreamEnd {
  /** Sends bytes to the host, split to the negotiated payload size, each WRTE waiting for OKAY. */
  write(data: Buffer): Promise<void>;
  /** Closes the stream (CLSE) once pending writes are sent. */
  close(): void;
  readonly closed: boolean;
}

/** What a service does with the stream once the OPEN succeeded. */
export interface ServiceHandler {
  /** Called after OKAY went out, so the service may write. */
  start(): void;
  /** One WRTE from the host; the OKAY (asking for more) goes out when the promise settles. */
  receive(data: Buffer): Promise<void> | void;
  /** The host closed the stream, or the link dropped. */
  closed(): void;
}

/** Opens a service by name (e.g. "shell:ls"), or null when this device has no such service. */
export type ServiceOpener = (name: string, stream: StreamEnd) => Promise<ServiceHandler | null>;

export interface TransportOptions {
  readonly banner: string;
  readonly auth: AuthMode;
  /** Keys the user allowed before (adb_keys); new allowed keys are added through onKeyAllowed. */
  readonly trustedKeys: readonly string[];
  readonly onKeyAllowed: (publicKey: string) => void;
  readonly openService: ServiceOpener;
  readonly log?: (line: string) => void;
}

interface Stream {
  readonly localId: number;
  readonly remoteId: number;
  readonly handler: ServiceHandler;
  readonly end: StreamEnd;
  ackWaiter: (() => void) | null;
  closing: boolean;
  closedFlag: boolean;
  sendQueue: Promise<void>;
}

/** Serves one TCP connection from the adb server as a phone's adbd would. */
export class DeviceTransport {
  private readonly reader = new MessageReader();
  private readonly streams = new Map<number, Stream>();
  private nextLocalId = 1;
  private maxPayload = MAX_PAYLOAD;
  private online = false;
  private token: Buffer = Buffer.alloc(0);
  private readonly keys: KeyObject[] = [];

  constructor(private readonly socket: Socket, private readonly options: TransportOptions) {
    for (const key of options.trustedKeys) {
      try { this.keys.push(parseAndroidPublicKey(Buffer.from(key))); } catch { /* a corrupt line stays ignored, as adbd does */ }
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try { messages = this.reader.push(chunk); } catch (error) {
        this.log(`dropping link: ${(error as Error).message}`);
        socket.destroy();
        return;
      }
      for (const message of messages) this.handle(message);
    });
    socket.on('close', () => this.closeAll());
    socket.on('error', () => this.closeAll());
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private send(command: number, arg0: number, arg1: number, data?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(encodeMessage(command, arg0, arg1, data));
  }

  private handle(message: Message): void {
    switch (message.command) {
      case A_CNXN: return this.onConnect(message);
      case A_AUTH: return this.onAuth(message);
      case A_OPEN: return this.onOpen(message);
      case A_OKAY: return this.onOkay(message);
      case A_WRTE: return this.onWrite(message);
      case A_CLSE: return this.onClose(message);
      case A_SYNC: return; // obsolete, ignored by real adbd too
      default:
        this.log(`ignoring ${commandName(message.command)}`);
    }
  }

  private onConnect(message: Message): void {
    // The host announces its max payload; we never send more than the smaller of both.
    this.maxPayload = Math.min(MAX_PAYLOAD, message.arg1 || MAX_PAYLOAD);
    this.log(`CNXN from host: version 0x${message.arg0.toString(16)} maxdata ${message.arg1} "${message.data.toString('latin1').replace(/\0/g, '')}"`);
    if (this.options.auth === 'skip') return this.goOnline();
    this.sendToken();
  }

  private sendToken(): void {
    this.token = randomBytes(20);
    this.send(A_AUTH, AUTH_TOKEN, 0, this.token);
  }

  private goOnline(): void {
    this.online = true;
    this.send(A_CNXN, A_VERSION, this.maxPayload, Buffer.from(this.options.banner));
  }

  private onAuth(message: Message): void {
    if (message.arg0 === AUTH_SIGNATURE) {
      const known = this.keys.some((key) => verifyTokenSignature(key, this.token, message.data));
      if (known && this.options.auth === 'accept') {
        this.log('AUTH signature verified with a key allowed before');
        return this.goOnline();
      }
      // Unknown signature: ask again; the host then offers its public key.
      return this.sendToken();
    }
    if (message.arg0 === AUTH_RSAPUBLICKEY) {
      if (this.options.auth !== 'accept') {
        this.log('public key offered; the emulated user does not answer the prompt (unauthorized)');
        return;
      }
      const text = message.data.toString('latin1').replace(/\0+$/, '');
      try { this.keys.push(parseAndroidPublicKey(message.data)); } catch (error) {
        this.log(`unusable public key: ${(error as Error).message}`);
        return;
      }
      this.log('AUTH public key allowed (the emulated user tapped "Allow")');
      this.options.onKeyAllowed(text);
      this.goOnline();
    }
  }

  private onOpen(message: Message): void {
    const remoteId = message.arg0;
    if (!this.online || remoteId === 0) return;
    const name = message.data.toString('utf8').replace(/\0+$/, '');
    const localId = this.nextLocalId++;
    const stream: Stream = {
      localId, remoteId, ackWaiter: null, closing: false, closedFlag: false, sendQueue: Promise.resolve(),
      handler: undefined as unknown as ServiceHandler,
      end: undefined as unknown as StreamEnd,
    };
    const end: StreamEnd = {
      write: (data) => this.enqueueWrite(stream, data),
      close: () => this.closeStream(stream),
      get closed() { return stream.closedFlag || stream.closing; },
    };
    (stream as { end: StreamEnd }).end = end;
    void this.options.openService(name, end).catch((error: unknown) => {
      this.log(`OPEN ${JSON.stringify(name)} failed: ${(error as Error).message}`);
      return null;
    }).then((handler) => {
      if (!handler || this.socket.destroyed) {
        this.log(`OPEN ${JSON.stringify(name)}: refused`);
        this.send(A_CLSE, 0, remoteId);
        return;
      }
      (stream as { handler: ServiceHandler }).handler = handler;
      this.streams.set(localId, stream);
      this.send(A_OKAY, localId, remoteId);
      handler.start();
    });
  }

  private enqueueWrite(stream: Stream, data: Buffer): Promise<void> {
    const run = async (): Promise<void> => {
      for (let offset = 0; offset < data.length; offset += this.maxPayload) {
        if (stream.closedFlag) throw new Error('stream closed');
        const acked = new Promise<void>((resolve) => { stream.ackWaiter = resolve; });
        this.send(A_WRTE, stream.localId, stream.remoteId, data.subarray(offset, offset + this.maxPayload));
        await acked;
      }
    };
    const next = stream.sendQueue.then(run);
    stream.sendQueue = next.catch(() => undefined);
    return next;
  }

  private closeStream(stream: Stream): void {
    if (stream.closing || stream.closedFlag) return;
    stream.closing = true;
    // Let queued writes drain first so the host sees all output before CLSE.
    void stream.sendQueue.then(() => {
      if (stream.closedFlag) return;
      stream.closedFlag = true;
      this.streams.delete(stream.localId);
      this.send(A_CLSE, stream.localId, stream.remoteId);
    });
  }

  private onOkay(message: Message): void {
    const stream = this.streams.get(message.arg1);
    if (!stream) return;
    const waiter = stream.ackWaiter;
    stream.ackWaiter = null;
    waiter?.();
  }

  private onWrite(message: Message): void {
    const stream = this.streams.get(message.arg1);
    if (!stream) return;
    void Promise.resolve()
      .then(() => stream.handler.receive(message.data))
      .catch((error: unknown) => this.log(`stream ${stream.localId}: ${(error as Error).message}`))
      .then(() => { if (!stream.closedFlag) this.send(A_OKAY, stream.localId, stream.remoteId); });
  }

  private onClose(message: Message): void {
    const stream = this.streams.get(message.arg1);
    if (!stream) return;
    this.streams.delete(stream.localId);
    const wasClosing = stream.closing;
    stream.closedFlag = true;
    stream.ackWaiter?.();
    stream.ackWaiter = null;
    // Echo the CLSE like adbd's socket shutdown does, unless we already sent ours.
    if (!wasClosing) this.send(A_CLSE, stream.localId, stream.remoteId);
    stream.handler.closed();
  }

  private closeAll(): void {
    this.online = false;
    for (const stream of this.streams.values()) {
      stream.closedFlag = true;
      stream.ackWaiter?.();
      stream.handler.closed();
    }
    this.streams.clear();
  }

  /** Drops the TCP link, as pulling the USB cable or losing Wi-Fi does. */
  drop(): void {
    this.socket.destroy();
  }
}
