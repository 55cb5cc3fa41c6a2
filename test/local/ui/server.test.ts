import { get, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:net';
import { UiServerError } from '../../../lib/local/errors';
import { StreamingMonitor } from '../../../lib/local/ui/monitor';
import {
  isLoopbackHost,
  listenWithFallback,
  startUiServer,
  type UiServer,
} from '../../../lib/local/ui/server';
import { sseMessage } from '../../../lib/local/ui/sse';
import type { UiSnapshot, UiUpdate } from '../../../lib/local/ui/types';

const T0 = 1_700_000_000_000;
const S0 = 'shardId-000000000000';

/** An event stream read as a client would: events parsed as they come. */
interface EventStream {
  readonly events: { event: string; data: unknown }[];
  /** Resolves with the first event (from `from` on) that `pred` accepts. */
  next(
    pred: (e: { event: string; data: unknown }) => boolean,
    from?: number,
  ): Promise<{ event: string; data: unknown }>;
  readonly ended: Promise<void>;
  close(): void;
}

function openEvents(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = get(url, (res: IncomingMessage) => {
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const events: { event: string; data: unknown }[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
        for (const w of waiters) w();
      });
      const ended = new Promise<void>((r) => res.on('end', r).on('close', r));
      resolve({
        events,
        ended,
        next(pred, from = 0) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(
              () => fail(new Error(`no such event in ${JSON.stringify(events)}`)),
              5000,
            );
            const check = () => {
              const found = events.slice(from).find(pred);
              if (!found) return;
              clearTimeout(timer);
              waiters.delete(check);
              ok(found);
            };
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

function request(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

function occupiedPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, server }),
    );
  });
}

describe('the Streaming UI server', () => {
  let monitor: StreamingMonitor;
  let ui: UiServer;
  const blockers: Server[] = [];

  beforeEach(async () => {
    monitor = new StreamingMonitor({ pipeline: 'word<count>', batchInterval: 1 });
    ui = await startUiServer({ monitor, port: 0, throttleMs: 50 });
  });
  afterEach(async () => {
    await ui.close();
    await Promise.all(blockers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  test('serves the page shell on every page path, with its pipeline escaped and a strict content policy', async () => {
    expect(ui.url).toBe(`http://localhost:${ui.port}/`);
    for (const path of ['', 'streaming', 'batches', `batches/${T0}`, 'shards']) {
      const res = await request(ui.url + path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.body).toContain('<title>word&#60;count&#62; · Streaming · dstream</title>');
      expect(res.body).toContain('<script src="/assets/app.js" defer></script>');
    }
  });

  test('unknown paths are 404, writes 405, and a request for another host name 403', async () => {
    expect((await request(ui.url + 'nope')).status).toBe(404);
    expect((await request(ui.url + 'api/batches/123')).status).toBe(404);
    const post = await request(ui.url + 'streaming', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const rebound = await request(ui.url + 'api/snapshot', { Host: `evil.example:${ui.port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/Host 'evil.example:\d+' is not this machine/);
  });

  test('the snapshot and a batch as JSON', async () => {
    monitor.onMapPhaseCompleted({
      shardId: S0,
      records: 3,
      duplicates: 0,
      late: 0,
      decodeErrors: 0,
      failed: false,
      batches: [{ batchTime: T0, records: 3 }],
      startedAt: T0 - 500,
      durationMs: 2,
    });
    const snap = JSON.parse((await request(ui.url + 'api/snapshot')).body) as UiSnapshot;
    expect(snap).toMatchObject({
      pipeline: 'word<count>',
      totals: { recordsIn: 3 },
      batches: [{ batchTime: T0 }],
    });
    const row = JSON.parse((await request(`${ui.url}api/batches/${T0}`)).body);
    expect(row).toMatchObject({ batchTime: T0, status: 'receiving', records: 3 });
  });

  test('serves the client bundled with uPlot (its MIT notice first), and the stylesheets, from this package', async () => {
    const js = await request(ui.url + 'assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body.startsWith('/*! uPlot')).toBe(true);
    expect(js.body).toContain('Permission is hereby granted');
    expect(js.body).toContain('EventSource');
    expect(js.body).not.toMatch(/cdn\.|unpkg\.com|jsdelivr/);
    for (const css of ['assets/app.css', 'assets/uPlot.min.css']) {
      const res = await request(ui.url + css);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(res.body.length).toBeGreaterThan(500);
    }
  }, 30_000);

  test('server-sent events: a snapshot on connect, then changes gathered into one update', async () => {
    const stream = await openEvents(ui.url + 'events');
    try {
      const first = await stream.next((e) => e.event === 'snapshot');
      expect(first.data).toMatchObject({ pipeline: 'word<count>', batches: [] });
      expect(ui.clients).toBe(1);
      monitor.onBatchStarted({
        batchTime: T0,
        owner: 'closer-a',
        startedAt: T0 + 100,
        schedulingDelayMs: 100,
      });
      monitor.onBatchCompleted({
        batchTime: T0,
        owner: 'closer-a',
        records: 0,
        late: 0,
        shards: [],
        startedAt: T0 + 100,
        completedAt: T0 + 120,
        schedulingDelayMs: 100,
        processingTimeMs: 20,
        totalDelayMs: 120,
        outputs: [],
      });
      monitor.onShardRead(S0, { lastArrivalMs: T0, at: T0 + 30 });
      const update = (await stream.next((e) => e.event === 'update')).data as UiUpdate;
      // Started and completed within the throttle: one message with the batch as it is now.
      expect(stream.events.filter((e) => e.event === 'update')).toHaveLength(1);
      expect(update.batches).toEqual([
        expect.objectContaining({ batchTime: T0, status: 'completed', totalDelayMs: 120 }),
      ]);
      expect(update.totals.batchesCompleted).toBe(1);
      expect(update.lag).toEqual([{ shardId: S0, points: [{ t: T0 + 30, v: 30 }] }]);
      expect(update.shards).toEqual([expect.objectContaining({ shardId: S0, iteratorAgeMs: 30 })]);
    } finally {
      stream.close();
    }
    await stream.ended;
    for (let i = 0; i < 50 && ui.clients > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ui.clients).toBe(0);
  });

  test('close() ends the open event streams and stops listening', async () => {
    const stream = await openEvents(ui.url + 'events');
    await stream.next((e) => e.event === 'snapshot');
    await ui.close();
    await stream.ended;
    await expect(request(ui.url)).rejects.toThrow(/ECONNREFUSED/);
    await ui.close(); // twice is fine
  });

  test("a taken port: the next free one, as Spark's UI does", async () => {
    const taken = await occupiedPort();
    blockers.push(taken.server);
    const other = await startUiServer({ monitor, port: taken.port });
    try {
      expect(other.port).toBeGreaterThan(taken.port);
      expect(other.port).toBeLessThanOrEqual(taken.port + 16);
      expect((await request(other.url + 'streaming')).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  test('every port tried taken: an error that names them and the way out', async () => {
    const taken = await occupiedPort();
    blockers.push(taken.server);
    await expect(startUiServer({ monitor, port: taken.port, maxRetries: 0 })).rejects.toThrow(UiServerError);
    await expect(startUiServer({ monitor, port: taken.port, maxRetries: 0 })).rejects.toThrow(
      new RegExp(
        `no free port: ${taken.port} to ${taken.port} on 127.0.0.1 are all in use. Pass --ui-port <n>.*or --no-ui`,
      ),
    );
  });

  test('a port out of range is refused with its value', async () => {
    await expect(listenWithFallback(createServer() as never, '127.0.0.1', 70000, 0)).rejects.toThrow(
      /the UI port must be a whole number from 0 to 65535, got 70000/,
    );
  });
});

describe('server parts', () => {
  test.each([
    ['localhost:4040', true],
    ['localhost', true],
    ['127.0.0.1:4041', true],
    ['[::1]:4040', true],
    [undefined, true],
    ['evil.example:4040', false],
    ['localhost.evil.example', false],
    ['10.0.0.1:4040', false],
  ])('isLoopbackHost(%p) = %p', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  test('sseMessage: one event, its data as JSON on one line (newlines in strings escaped)', () => {
    expect(sseMessage('update', { text: 'a\nb' })).toBe('event: update\ndata: {"text":"a\\nb"}\n\n');
    expect(() => sseMessage('bad name\n', {})).toThrow(/event names are letters/);
  });
});
