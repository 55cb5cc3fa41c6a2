/**
 * Server-sent events (the `text/event-stream` format of the HTML standard) over node:http: the
 * open streams, a message to all of them, a comment line now and then so idle connections stay up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One event in the event-stream format. `data` is sent as JSON on one `data:` line (JSON.stringify
 * escapes newlines, so the message cannot be split by its content).
 * @example sseMessage('update', { n: 1 }) // 'event: update\ndata: {"n":1}\n\n'
 */
export function sseMessage(event: string, data: unknown): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(event))
    throw new TypeError(`sseMessage: event names are letters, digits, '_' and '-', got '${event}'.`);
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Options of {@link SseHub}. */
export interface SseHubOptions {
  /** A comment line to every stream this often, ms. @default 15000 */
  heartbeatMs?: number;
  /** Milliseconds a browser waits before reconnecting (sent as `retry:`). @default 1000 */
  retryMs?: number;
}

/** The open event streams. */
export class SseHub {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: SseHubOptions = {}) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Open streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Answers `req` with an event stream, sends `first` (if any) on it, and keeps it until the client goes. */
  open(req: IncomingMessage, res: ServerResponse, first?: string): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${this.options.retryMs ?? 1000}\n\n`);
    if (first) res.write(first);
    this.streams.add(res);
    const drop = () => this.streams.delete(res);
    req.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
  }

  /** Sends one event to every open stream. */
  broadcast(event: string, data: unknown): void {
    if (this.streams.size > 0) this.write(sseMessage(event, data));
  }

  /** Ends every stream and the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private write(text: string): void {
    for (const res of this.streams) if (!res.writableEnded) res.write(text);
  }
}
