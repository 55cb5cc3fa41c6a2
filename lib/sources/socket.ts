import { Socket, createConnection } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { StreamingContext } from '../dstream/context';
import { RDD } from '../dstream/rdd';
import type { Receiver } from '../plan/graph';
import { InputDStream } from './input-dstream';

declare module '../dstream/context' {
  interface StreamingContext {
    /**
     * An input stream of UTF-8 lines read from a TCP server (`nc -lk 9999`), as Spark's
     * socketTextStream. Lines received during a batch interval form the next batch; the receiver
     * reconnects every `reconnectMs` if the server is down or closes.
     * @example ssc.socketTextStream('localhost', 9999)
     */
    socketTextStream(host: string, port: number, options?: { reconnectMs?: number }): SocketInputDStream;
  }
}

/** Spark's SocketInputDStream with its receiver: buffered lines drained by each batch. */
export class SocketInputDStream extends InputDStream<string> implements Receiver {
  private buffer: string[] = [];
  private socket: Socket | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  /** Connection errors seen (for logs and tests). */
  readonly errors: string[] = [];

  constructor(
    ssc: StreamingContext,
    readonly host: string,
    readonly port: number,
    readonly reconnectMs: number,
  ) {
    super(ssc);
    ssc.graph.addReceiver(this);
  }

  startReceiver(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const socket = createConnection({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('data', (chunk) => {
      const text = partial + decoder.write(chunk);
      const lines = text.split('\n');
      partial = lines.pop() as string;
      for (const l of lines) this.buffer.push(l.endsWith('\r') ? l.slice(0, -1) : l);
    });
    socket.on('error', (e) => {
      this.errors.push(`${this.host}:${this.port}: ${e.message}`);
      if (this.errors.length === 1 || this.errors.length % 10 === 0) {
        process.stderr.write(
          `socketTextStream: cannot read ${this.host}:${this.port} (${e.message}); retrying every ${this.reconnectMs} ms. Start the server, e.g. nc -lk ${this.port}\n`,
        );
      }
    });
    socket.on('close', () => {
      const rest = partial + decoder.end();
      if (rest) this.buffer.push(rest);
      partial = '';
      if (!this.stopped) this.retry = setTimeout(() => this.connect(), this.reconnectMs);
    });
  }

  stopReceiver(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
  }

  protected compute(_time: number): RDD<string> {
    const lines = this.buffer;
    this.buffer = [];
    return RDD.of(lines);
  }
}

StreamingContext.prototype.socketTextStream = function (
  this: StreamingContext,
  host: string,
  port: number,
  options?: { reconnectMs?: number },
): SocketInputDStream {
  if (typeof host !== 'string' || !host)
    throw new Error('socketTextStream(host, port): host must be a non-empty string.');
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      `socketTextStream(host, port): port must be a whole number from 1 to 65535, got ${String(port)}.`,
    );
  }
  return new SocketInputDStream(this, host, port, options?.reconnectMs ?? 1000);
};
