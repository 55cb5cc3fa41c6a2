/**
 * The Streaming UI's HTTP server (node:http, loopback only): the page shell for every page, the
 * monitor's snapshot as JSON, live updates as server-sent events, and the bundled client files.
 * Updates are coalesced: changes within `throttleMs` go out as one `update` event.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UiServerError } from '../errors';
import { appStylesheet, clientScript, uplotStylesheet, type Asset } from './assets';
import type { MonitorChange, StreamingMonitor } from './monitor';
import { SseHub, sseMessage } from './sse';
import type { Point, UiUpdate } from './types';

/** Spark's UI port. */
export const DEFAULT_UI_PORT = 4040;

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  monitor: StreamingMonitor;
  /** The first port tried; 0 for any free port. @default 4040 */
  port?: number;
  /** Ports tried after `port` when it is taken (Spark's spark.port.maxRetries). @default 16 */
  maxRetries?: number;
  /** The address listened on. Loopback only: the UI has no authentication. @default '127.0.0.1' */
  host?: string;
  /** Changes within this many ms go out as one update. @default 250 */
  throttleMs?: number;
  /** @default 15000 */
  heartbeatMs?: number;
}

/** A running UI server. */
export interface UiServer {
  /** `http://localhost:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Browsers connected to the live updates. */
  readonly clients: number;
  /** Ends the event streams and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/** Paths that serve the page shell (the client renders the page). */
const PAGES = /^\/(streaming|batches(\/\d+)?|shards)?\/?$/;

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * Serves the Streaming UI of `monitor` on `host`, on `port` or the next free one (up to
 * `maxRetries` more), as Spark's UI does.
 *
 * @example
 * const ui = await startUiServer({ monitor });
 * console.error(`[dstream] Streaming UI: ${ui.url}`);
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const { monitor } = options;
  const host = options.host ?? '127.0.0.1';
  const hub = new SseHub({ heartbeatMs: options.heartbeatMs });
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `Streaming UI error: ${String(e)}\n`);
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(
        res,
        405,
        'text/plain; charset=utf-8',
        `${req.method} is not allowed: the UI only reads.\n`,
      );
    }
    // Only pages asked for by this machine's name: a web page elsewhere cannot read the UI through DNS rebinding.
    if (!isLoopbackHost(req.headers.host))
      return send(res, 403, 'text/plain; charset=utf-8', `Host '${req.headers.host}' is not this machine.\n`);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/events') return hub.open(req, res, sseMessage('snapshot', monitor.snapshot()));
    if (path === '/api/snapshot') return sendJson(res, monitor.snapshot());
    const batch = /^\/api\/batches\/(\d+)$/.exec(path);
    if (batch) {
      const row = monitor.batch(Number(batch[1]));
      return row
        ? sendJson(res, row)
        : send(res, 404, 'application/json', JSON.stringify({ error: `no batch at ${batch[1]}` }));
    }
    const asset = await assetFor(path);
    if (asset) return send(res, 200, asset.contentType, asset.body);
    if (PAGES.test(path)) return send(res, 200, 'text/html; charset=utf-8', pageShell(monitor));
    return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}\n`);
  };

  const stopUpdates = coalesceUpdates(monitor, hub, options.throttleMs ?? 250);
  let port: number;
  try {
    port = await listenWithFallback(server, host, options.port ?? DEFAULT_UI_PORT, options.maxRetries ?? 16);
  } catch (e) {
    stopUpdates();
    hub.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host === '127.0.0.1' || host === '::1' ? 'localhost' : host}:${port}/`,
    port,
    get clients() {
      return hub.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        stopUpdates();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Listens on `port`, or on the next port when it is taken, up to `maxRetries` more; resolves with the
 * port bound. Port 0 binds any free port.
 */
export async function listenWithFallback(
  server: Server,
  host: string,
  port: number,
  maxRetries: number,
): Promise<number> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UiServerError(`the UI port must be a whole number from 0 to 65535, got ${port}.`);
  const last = port === 0 ? 0 : Math.min(65535, port + maxRetries);
  for (let p = port; p <= last; p++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => {
          server.removeListener('listening', onListening);
          reject(e);
        };
        const onListening = () => {
          server.removeListener('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(p, host);
      });
      return (server.address() as AddressInfo).port;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') {
        throw new UiServerError(
          `the Streaming UI cannot listen on ${host}:${p} (${code ?? String(e)}). Pass --ui-port <n> for another port, or --no-ui.`,
        );
      }
    }
  }
  throw new UiServerError(
    `the Streaming UI found no free port: ${port} to ${last} on ${host} are all in use. ` +
      'Pass --ui-port <n> for another port, or --no-ui.',
  );
}

/** True for `localhost`, `127.x.x.x` and `[::1]`, with or without a port (and for no Host header: HTTP/1.0). */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return true;
  const name = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0];
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

async function assetFor(path: string): Promise<Asset | undefined> {
  switch (path) {
    case '/assets/app.js':
      return clientScript();
    case '/assets/app.css':
      return appStylesheet();
    case '/assets/uPlot.min.css':
      return uplotStylesheet();
    default:
      return undefined;
  }
}

/** Sends monitor changes to the event streams, gathered over `throttleMs`; returns the unsubscribe. */
function coalesceUpdates(monitor: StreamingMonitor, hub: SseHub, throttleMs: number): () => void {
  const batches = new Set<number>();
  const dropped = new Set<number>();
  const lag = new Map<string, Point[]>();
  let inspection = false;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (hub.size > 0) {
      const update: UiUpdate = {
        now: Date.now(),
        batches: [...batches].flatMap((t) => monitor.batch(t) ?? []),
        dropped: [...dropped],
        totals: monitor.totals(),
      };
      if (lag.size > 0) update.lag = [...lag].map(([shardId, points]) => ({ shardId, points }));
      if (inspection || lag.size > 0) update.shards = monitor.shards();
      if (inspection) {
        update.state = monitor.state();
        Object.assign(update, monitor.inspection());
      }
      hub.broadcast('update', update);
    }
    batches.clear();
    dropped.clear();
    lag.clear();
    inspection = false;
  };
  const onChange = (c: MonitorChange) => {
    if (c.kind === 'batch') batches.add(c.batchTime);
    else if (c.kind === 'dropped') {
      batches.delete(c.batchTime);
      dropped.add(c.batchTime);
    } else if (c.kind === 'lag') lag.set(c.shardId, [...(lag.get(c.shardId) ?? []), c.point]);
    else if (c.kind === 'inspection') inspection = true;
    timer ??= setTimeout(flush, throttleMs);
  };
  const unsubscribe = monitor.subscribe(onChange);
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}

function pageShell(monitor: StreamingMonitor): string {
  const name = escapeHtml(monitor.pipeline);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · Streaming · dstream</title>
<link rel="stylesheet" href="/assets/uPlot.min.css">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">dstream <strong>${name}</strong></span>
<nav aria-label="Pages"><ul>
<li><a href="/streaming" data-page="streaming">Streaming</a></li>
<li><a href="/batches" data-page="batches">Batches</a></li>
<li><a href="/shards" data-page="shards">Shards and state</a></li>
</ul></nav>
<span class="conn" id="conn">connecting…</span>
<span class="visually-hidden" id="conn-status" role="status"></span>
</header>
<main id="main" tabindex="-1"><noscript>The Streaming UI needs JavaScript.</noscript></main>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendJson(res: ServerResponse, data: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(data));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
