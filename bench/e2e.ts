/**
 * Local end to end ("throughput limited by the emulator, not by the engine"):
 * NetworkWordCount (functions/network-wordcount) on the embedded stack (kinesalite, dynalite,
 * s3rver, all in this process) through the local poller, as `dstream run` runs it.
 *
 * - Throughput: `lines` lines produced as fast as PutRecords takes them; lines/s to the last record
 *   mapped (partials and checkpoint written) and to its batch closed (counts in S3).
 * - Latency: marker lines sent one at a time with their send time; latency is the time from the
 *   send to the close of the batch the marker arrived in (its counts in S3 and on stdout), measured
 *   under a steady load and on an idle stream (where the last batch waits for its allowed lateness).
 * - Where the time goes: a CPU profile of the throughput phase, each sample charged to the
 *   innermost frame that belongs to the engine, the poller, the SDK or one of the emulators; and
 *   the wall time of every SDK call to the emulators (a middleware on each client).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { setPprintWriter } from '../lib';
import { batchTimeOf } from '../lib/plan/time';
import { kinesisClient } from '../lib/local/clients';
import { produce } from '../lib/local/producer';
import { startLocalRun, type LocalRun } from '../lib/local/runner';
import pipeline from '../functions/network-wordcount/pipeline';
import { generateLines, median } from './data';

/** Latency percentiles, ms. */
export interface LatencyFigures {
  markers: number;
  p50: number;
  p95: number;
  max: number;
  /** Median of (close time - batch end): the part after the batch's interval was over. */
  afterBatchEndP50: number;
}

/** One row of where the time went. */
export interface TimeShare {
  name: string;
  ms: number;
  share: number;
}

/** SDK calls of one operation to one emulator. */
export interface CallFigures {
  service: string;
  operation: string;
  calls: number;
  totalMs: number;
  meanMs: number;
}

export interface E2eResult {
  lines: number;
  shards: number;
  /** Records per handler invocation (`dstream run --batch-size`). */
  batchSize: number;
  produceLinesPerSec: number;
  /** Produce start to the last record mapped. */
  mappedLinesPerSec: number;
  /** Produce start to the last record's batch closed. */
  closedLinesPerSec: number;
  /** How long after its end the last batch closed (it waits for the allowed lateness). */
  lastBatchCloseAfterEndMs: number;
  /** Records counted late (moved to a later batch) in each phase. */
  lateRecords: { throughput: number; loaded: number; idle: number };
  loadedRate: number;
  loaded: LatencyFigures;
  idle: LatencyFigures;
  /** Event loop busy share during the throughput phase. */
  eventLoopUtilization: number;
  /** CPU profile of the throughput phase by owner, idle excluded. */
  cpu: TimeShare[];
  calls: CallFigures[];
}

const PREFIX = 'e2e-';

type Recorder = (operation: string, ms: number) => void;

/** Times every call of a client (all steps: serialize, sign, HTTP, parse, SDK retries). */
function timeCalls(client: { middlewareStack: { add: (...args: any[]) => void } }, record: Recorder): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          record(context.commandName?.replace(/Command$/, '') ?? '?', performance.now() - started);
        }
      },
    { step: 'initialize', name: 'benchCallTiming' },
  );
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SDK_PACKAGES = /^(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|strnum|tslib|uuid|bowser)\b/;
const EMULATORS = new Set(['kinesalite', 'dynalite', 's3rver']);

/** The owner of a frame, if it is one of ours, the SDK's or an emulator's. */
function ownerOf(url: string): string | undefined {
  const packages = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]);
  // The outermost package decides: dynalite/node_modules/levelup is dynalite's storage.
  const outer = packages[0];
  if (outer !== undefined) {
    if (EMULATORS.has(outer)) return outer;
    if (SDK_PACKAGES.test(outer)) return 'AWS SDK clients';
    return undefined;
  }
  if (url.includes('/lib/local/')) return 'poller, producer, runner (lib/local)';
  if (/\/(lib|functions)\//.test(url)) return 'engine (lib/, the pipeline)';
  return undefined;
}

const SPECIAL_FRAMES = new Map([
  ['(idle)', 'idle'],
  ['(garbage collector)', 'garbage collector'],
]);

/** CPU time by owner: each sample goes to its innermost frame that has an owner. */
function attribute(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string | null>();
  const ownedBy = (id: number): string | null => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = (byId.get(id) as ProfileNode).callFrame;
    const up = parent.get(id);
    const owner = SPECIAL_FRAMES.get(functionName) ?? ownerOf(url) ?? (up === undefined ? null : ownedBy(up));
    memo.set(id, owner);
    return owner;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    // Nothing of ours, the SDK's or an emulator's on the stack: another package, or node itself.
    const leafUrl = (byId.get(id) as ProfileNode).callFrame.url;
    const owner =
      ownedBy(id) ??
      (leafUrl.includes('node_modules/') ? 'other packages' : 'node internals (http, streams, timers)');
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}

/** A CPU profile of `fn`, sampled every millisecond. */
async function profiled<T>(fn: () => Promise<T>): Promise<{ value: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  try {
    const value = await fn();
    const { profile } = (await post('Profiler.stop')) as { profile: Profile };
    return { value, profile };
  } finally {
    session.disconnect();
  }
}

/** Arrival time (ms) of every record whose text starts with `prefix`, by text. */
async function arrivalsOf(
  client: KinesisClient,
  stream: string,
  prefix: string,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  for (const shard of Shards) {
    let { ShardIterator: it } = await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (it) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        const text = Buffer.from(r.Data ?? []).toString('utf8');
        if (text.startsWith(prefix)) out.set(text, r.ApproximateArrivalTimestamp?.getTime() ?? 0);
      }
      if (!page.Records?.length) break;
      it = page.NextShardIterator;
    }
  }
  return out;
}

const percentile = (xs: number[], p: number) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`e2e bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Sends one marker line every `everyMs` for `count` markers; returns send times by marker text.
 * The marker's latency is measured from the start of its PutRecords call.
 */
async function sendMarkers(
  client: KinesisClient,
  stream: string,
  tag: string,
  count: number,
  everyMs: number,
): Promise<Map<string, number>> {
  const sent = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const text = `${PREFIX}${tag}-${i}`;
    const t = Date.now();
    await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ Data: Buffer.from(text), PartitionKey: text }],
      }),
    );
    sent.set(text, t);
    await sleep(Math.max(0, t + everyMs - Date.now()));
  }
  return sent;
}

function latencies(
  sent: Map<string, number>,
  arrivals: Map<string, number>,
  closedAt: Map<number, number>,
  intervalMs: number,
): LatencyFigures {
  const total: number[] = [];
  const afterEnd: number[] = [];
  for (const [text, sentAt] of sent) {
    const arrival = arrivals.get(text);
    if (arrival === undefined) throw new Error(`e2e bench: marker ${text} not found in the stream`);
    const t = batchTimeOf(arrival, intervalMs);
    const closed = closedAt.get(t);
    if (closed === undefined) throw new Error(`e2e bench: the batch of marker ${text} (${t}) never closed`);
    total.push(closed - sentAt);
    afterEnd.push(closed - t);
  }
  return {
    markers: total.length,
    p50: percentile(total, 50),
    p95: percentile(total, 95),
    max: Math.max(...total),
    afterBatchEndP50: median(afterEnd),
  };
}

/** Runs the three phases on one local stack; see the module comment. */
export async function runE2e(lines = 50_000, shards = 2, batchSize = 500): Promise<E2eResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dstream-bench-e2e-'));
  const restorePprint = setPprintWriter(() => undefined);
  const calls = new Map<string, { calls: number; totalMs: number }>();
  const recorder =
    (service: string): Recorder =>
    (operation, ms) => {
      const key = `${service} ${operation}`;
      const c = calls.get(key) ?? { calls: 0, totalMs: 0 };
      c.calls += 1;
      c.totalMs += ms;
      calls.set(key, c);
    };
  let run: LocalRun | undefined;
  let producer: KinesisClient | undefined;
  try {
    run = await startLocalRun({ pipeline, shards, batchSize, stateDir, status: () => undefined });
    const { stream } = run.endpoints;
    const intervalMs = Math.round(pipeline.batchInterval * 1000);
    producer = kinesisClient({ endpoint: run.endpoints.kinesis });
    timeCalls(producer, recorder('kinesis (producer)'));
    timeCalls(run.kinesis, recorder('kinesis (poller)'));
    timeCalls(run.dynamo, recorder('dynamodb'));
    timeCalls(run.s3, recorder('s3'));
    const closedAt = new Map<number, number>();
    const engine = run.engine;
    const closeReady = engine.closeReady.bind(engine);
    engine.closeReady = async () => {
      const closed = await closeReady();
      const now = Date.now();
      for (const t of closed) closedAt.set(t, now);
      return closed;
    };
    // The moment the last line of a phase is mapped (partials and checkpoint written).
    const metrics = run.metrics;
    const count = metrics.count.bind(metrics);
    let mappedAt: number | undefined;
    metrics.count = (name, value) => {
      count(name, value);
      if (name === 'RecordsIn' && (metrics.totals.RecordsIn ?? 0) >= lines) mappedAt ??= Date.now();
    };
    const late = () => metrics.totals.LateRecords ?? 0;

    // 1. Throughput, profiled.
    const data = generateLines(lines, 10, 5000, 11);
    const elu0 = performance.eventLoopUtilization();
    const { value: phase1, profile } = await profiled(async () => {
      const started = Date.now();
      await produce(data, { client: producer as KinesisClient, streamName: stream });
      const produced = Date.now();
      await waitUntil(() => mappedAt !== undefined, 600_000, 'every record mapped');
      return { started, produced, mapped: mappedAt as number };
    });
    const elu = performance.eventLoopUtilization(elu0);
    const phase1Calls = new Map([...calls].map(([k, c]) => [k, { ...c }]));
    await run.drain(120_000);
    const lateThroughput = late();
    // Every line is out at the first close, at or after the last record's batch, that follows the
    // last map (a late record's own batch may have closed before it was mapped).
    const lastBatch = batchTimeOf(
      Math.max(...(await arrivalsOf(run.kinesis, stream, '')).values()),
      intervalMs,
    );
    const allOut = Math.min(
      ...[...closedAt].filter(([t, at]) => t >= lastBatch && at >= phase1.mapped).map(([, at]) => at),
    );
    const seconds = (ms: number) => Math.max(1, ms) / 1000;

    // 2. Latency under a steady load (half the mapped rate, at most 5,000 lines/s) for 5 s.
    const mappedRate = lines / seconds(phase1.mapped - phase1.started);
    const loadedRate = Math.max(100, Math.min(5000, Math.round(mappedRate / 2 / 100) * 100));
    const load = produce(generateLines(loadedRate * 5, 10, 5000, 12), {
      client: producer,
      streamName: stream,
      rate: loadedRate,
    });
    await sleep(500);
    const loadedSent = await sendMarkers(producer, stream, 'loaded', 40, 100);
    await load;
    await run.drain(60_000);
    const lateLoaded = late() - lateThroughput;

    // 3. Latency on an idle stream: one line at a time.
    await sleep(1500);
    const idleSent = await sendMarkers(producer, stream, 'idle', 8, 1300);
    await run.drain(60_000);

    const arrivals = await arrivalsOf(run.kinesis, stream, PREFIX);
    const cpuTotals = attribute(profile);
    cpuTotals.delete('idle');
    const busy = [...cpuTotals.values()].reduce((a, b) => a + b, 0);
    return {
      lines,
      shards,
      batchSize,
      produceLinesPerSec: lines / seconds(phase1.produced - phase1.started),
      mappedLinesPerSec: mappedRate,
      closedLinesPerSec: lines / seconds(allOut - phase1.started),
      lastBatchCloseAfterEndMs: allOut - lastBatch,
      lateRecords: {
        throughput: lateThroughput,
        loaded: lateLoaded,
        idle: late() - lateThroughput - lateLoaded,
      },
      loadedRate,
      loaded: latencies(loadedSent, arrivals, closedAt, intervalMs),
      idle: latencies(idleSent, arrivals, closedAt, intervalMs),
      eventLoopUtilization: elu.utilization,
      cpu: [...cpuTotals].map(([name, ms]) => ({ name, ms, share: ms / busy })).sort((a, b) => b.ms - a.ms),
      calls: [...phase1Calls]
        .map(([key, c]) => {
          const [service, operation] = [
            key.slice(0, key.lastIndexOf(' ')),
            key.slice(key.lastIndexOf(' ') + 1),
          ];
          return { service, operation, calls: c.calls, totalMs: c.totalMs, meanMs: c.totalMs / c.calls };
        })
        .sort((a, b) => b.totalMs - a.totalMs),
    };
  } finally {
    producer?.destroy();
    await run?.stop();
    setPprintWriter(restorePprint);
    rmSync(stateDir, { recursive: true, force: true });
  }
}
