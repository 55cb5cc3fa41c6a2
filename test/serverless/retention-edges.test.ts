/**
 * Where the retention meets a running pipeline: what waits in the store for longer than half the
 * retention (a window over a keyed state, a shard's backlog, an idle shard's head hint, a closer
 * stopped for longer than the retention), and writes whose reply was lost. Found by an adversarial
 * review; each case lost records, or stopped the pipeline, before it was fixed.
 */
import type { DStream, KinesisInputRecord, StoreItem, StreamingContext } from '../../lib';
import type { ShardRef } from '../../lib/engine/serverless/types';
import { definePipeline, ServerlessEngine } from '../../lib';
import { ForwardingStore } from '../../lib/state';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import type { Condition } from '../../lib/state/types';

const BASE = 1_700_000_000_000;
let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
function rec(shardId: string, arrivalMs: number, line = 'x', streamArn?: string): KinesisInputRecord {
  seq += 1_000_000_000_000n;
  return { shardId, streamArn, sequenceNumber: seq.toString(), arrivalMs, data: Buffer.from(line, 'utf8') };
}

/** An engine on an in-memory store with a settable clock; counts per batch and the logs and metrics. */
function setup(opts: {
  interval?: number;
  lateness: number;
  retention: number;
  shards: ShardRef[];
  build?: (ssc: StreamingContext) => DStream<unknown>;
  store?: (inner: InMemoryStateStore) => ForwardingStore;
}) {
  const clock = { now: BASE };
  const inner = new InMemoryStateStore({ now: () => clock.now });
  const store = opts.store?.(inner) ?? new ForwardingStore(inner);
  const counts = new Map<number, number>();
  const logs: string[] = [];
  const metrics = new Map<string, number>();
  const pipeline = definePipeline(
    {
      name: 'edges',
      batchInterval: opts.interval ?? 1,
      allowedLateness: opts.lateness,
      retention: opts.retention,
    },
    (ssc) =>
      (opts.build?.(ssc) ?? ssc.kinesisTextStream())
        .count()
        .foreachRDD((rdd, t) => void counts.set(t, rdd.first() as number)),
  );
  const make = () =>
    new ServerlessEngine(pipeline, {
      store,
      now: () => clock.now,
      listShards: async () => opts.shards,
      log: (m) => void logs.push(m),
      metrics: { count: (name, v) => void metrics.set(name, (metrics.get(name) ?? 0) + v) },
    });
  const total = () => Array.from(counts.values()).reduce((n, c) => n + c, 0);
  return { clock, inner, store, counts, logs, metrics, make, total };
}

describe('what waits longer than half the retention', () => {
  test('a 50 s window over a keyed state keeps closing with a 60 s retention (its versions outlive the retention by the window)', async () => {
    const errors: string[] = [];
    const { clock, make, counts } = setup({
      lateness: 0.5,
      retention: 60,
      shards: ['s0'],
      build: (ssc) =>
        ssc
          .kinesisTextStream()
          .map((w) => [w, 1] as [string, number])
          // A state that stops changing: no delta grows it, so only age renews its snapshot.
          .updateStateByKey((_vs: number[], s?: number) => s ?? 1)
          .window(50, 1),
    });
    const engine = make();
    for (let b = 0; b < 200; b++) {
      clock.now = BASE + b * 1000 + 600;
      await engine.mapPhase([rec('s0', BASE + b * 1000 + 100, `k${b % 3}`)]);
      await engine.closeReady().catch((e) => errors.push(`${b}: ${String(e)}`));
    }
    expect(errors).toEqual([]);
    expect(((await engine.progress())?.closedUpTo ?? 0) - BASE).toBeGreaterThanOrEqual(198_000);
    // The window holds the state's keys of each of its 50 batches: 3 keys once all three exist.
    expect(counts.get(BASE + 150_000)).toBe(3 * 50);
  });

  test('a shard lagging longer than the retention loses nothing of the other shards, cold closers included; its own records count late', async () => {
    const { clock, make, logs, metrics, total } = setup({ lateness: 2, retention: 60, shards: ['s0', 's1'] });
    let engine = make();
    const LAG = 90_000; // s0's iterator age: 90 s, the retention 60 s
    let sent = 0;
    for (let b = 0; b < 400; b++) {
      clock.now = BASE + LAG + b * 1000 + 600;
      await engine.mapPhase([rec('s0', BASE + b * 1000 + 100)]); // s0: records 90 s old
      await engine.mapPhase([rec('s1', clock.now - 100)]); // s1: live
      sent += 2;
      if (b % 100 === 99) engine = make(); // the closer's container is recycled now and then (cold)
      await engine.closeReady();
    }
    // Then both shards go quiet and every batch closes.
    for (let b = 400; b < 500; b++) {
      clock.now = BASE + LAG + b * 1000 + 600;
      await engine.closeReady();
    }
    expect(logs.filter((m) => /lost|missing/.test(m))).toEqual([]);
    expect(metrics.get('LogGaps')).toBeUndefined();
    expect(total()).toBe(sent);
    expect(metrics.get('RecordsIn')).toBe(sent);
    expect(metrics.get('LateRecords')).toBeGreaterThan(0); // s0's records, once its hold ran out
    expect(logs.some((m) => m.includes('a shard backlog held for half the retention'))).toBe(true);
  });

  test.each([
    [1, 2],
    [25, 5], // the longest interval a 60 s retention allows with this lateness
  ])(
    'a closer dying mid-batch behind a backlog: the takeover (cold, after the lease) still finds the carried entries (interval %d s, lateness %d s)',
    async (interval, lateness) => {
      let hang = false;
      let died: () => void = () => undefined;
      const { clock, make, logs, metrics, total } = setup({
        interval,
        lateness,
        retention: 60,
        shards: ['s0', 's1'],
        store: (inner) =>
          new (class extends ForwardingStore {
            override put(item: StoreItem, c?: Condition): Promise<boolean> {
              if (hang && item.pk.endsWith('#close') && item.sk.endsWith('#done')) {
                hang = false;
                died();
                return new Promise<boolean>(() => undefined); // the closer died waiting
              }
              return super.put(item, c);
            }
          })(inner),
      });
      let engine = make();
      const LAG = 90_000;
      let sent = 0;
      let dead = false;
      for (let b = 0; b < 300; b++) {
        clock.now = BASE + LAG + b * 1000 + 600;
        await engine.mapPhase([rec('s0', BASE + b * 1000 + 100)]);
        await engine.mapPhase([rec('s1', clock.now - 100)]);
        sent += 2;
        if (b >= 150 && !dead) {
          // This closer dies holding its claim (with the lease the engine gives; 5 min asked) at the
          // first batch it marks done from here on; a new closer, cold, goes on.
          hang = true;
          const dying = new Promise<boolean>((resolve) => (died = () => resolve(true)));
          dead = await Promise.race([dying, engine.closeReady().then(() => false)]);
          hang = false;
          if (dead) engine = make();
          continue;
        }
        await engine.closeReady();
      }
      for (let b = 300; b < 500; b++) {
        clock.now = BASE + LAG + b * 1000 + 600;
        await engine.closeReady();
      }
      expect(dead).toBe(true);
      expect(metrics.get('LogGaps')).toBeUndefined();
      expect(logs.filter((m) => /lost/.test(m))).toEqual([]);
      expect(total()).toBe(sent);
    },
  );

  test('a shard idle for longer than the retention: its next records are counted (the closer keeps its head hint alive)', async () => {
    const { clock, make, logs, metrics, total } = setup({ lateness: 0.5, retention: 60, shards: ['s0'] });
    const engine = make();
    clock.now = BASE + 600;
    await engine.mapPhase([rec('s0', BASE + 100)]);
    for (let b = 1; b <= 200; b++) {
      clock.now = BASE + b * 1000 + 600;
      if (b === 150 || b === 152) await engine.mapPhase([rec('s0', BASE + b * 1000 + 100)]);
      await engine.closeReady();
    }
    expect(total()).toBe(3);
    expect(metrics.get('LogGaps')).toBeUndefined();
    expect(logs.filter((m) => /lost/.test(m))).toEqual([]);
  });

  test("an idle shard of a second stream (one listShards does not list) keeps its hint; a closed parent's is let expire", async () => {
    const A = 'arn:aws:kinesis:us-east-1:1:stream/a';
    const B = 'arn:aws:kinesis:us-east-1:1:stream/b';
    const { clock, make, inner, metrics, total } = setup({
      lateness: 0.5,
      retention: 60,
      // Stream A's open shard; its parent s-old is closed. Stream B is not listed.
      shards: [{ shardId: 's0', streamArn: A }],
    });
    const engine = make();
    clock.now = BASE + 600;
    await engine.mapPhase([rec('s-old', BASE + 100, 'x', A)]);
    await engine.mapPhase([rec('s0', BASE + 200, 'x', A)]);
    await engine.mapPhase([rec('s1', BASE + 300, 'x', B)]);
    for (let b = 1; b <= 200; b++) {
      clock.now = BASE + b * 1000 + 600;
      if (b === 150) await engine.mapPhase([rec('s1', BASE + b * 1000 + 100, 'x', B)]);
      await engine.closeReady();
    }
    expect(total()).toBe(4);
    expect(metrics.get('LogGaps')).toBeUndefined();
    const hints = (await inner.query('p#edges#heads')).map((h) => String(h.attrs?.shardId)).sort();
    expect(hints).toEqual(['s0', 's1']);
  });

  test('a closer stopped long enough for an idle shard to lose its log: the shard that writes again is read from its new start (said, not silent)', async () => {
    const { clock, make, logs, metrics, total } = setup({ lateness: 0.5, retention: 60, shards: ['s0'] });
    const engine = make();
    clock.now = BASE + 600;
    await engine.mapPhase([rec('s0', BASE + 100)]);
    for (let b = 1; b <= 20; b++) {
      clock.now = BASE + b * 1000 + 600;
      await engine.closeReady(); // s0 in every cut, at its one entry
    }
    // The closer is down for 55 s (the progress, rewritten at each close, lives on); the shard is
    // quiet: its head hint and its entry expire (60 s after they were written).
    clock.now = BASE + 70_600;
    await engine.mapPhase([rec('s0', BASE + 70_100), rec('s0', BASE + 70_200)]); // the log starts over
    await engine.mapPhase([rec('s0', BASE + 70_300)]);
    for (let b = 75; b <= 200; b++) {
      clock.now = BASE + b * 1000 + 600;
      await engine.closeReady();
    }
    expect(total()).toBe(4);
    // Whether records were lost in between cannot be known (nothing is left): it is said, and counted.
    expect(metrics.get('LogGaps')).toBe(1);
    expect(logs.filter((m) => /started over/.test(m))).toHaveLength(1);
  });

  test('a head hint lost while the last entry lives on (the first expired): the next invocation continues the log, no fork', async () => {
    const { clock, make, inner, metrics, total } = setup({ lateness: 0.5, retention: 60, shards: ['s0'] });
    const engine = make();
    for (let b = 0; b <= 64; b++) {
      clock.now = BASE + b * 1000 + 600;
      if (b === 0 || b === 30) await engine.mapPhase([rec('s0', BASE + b * 1000 + 100)]);
      await engine.closeReady();
    }
    // The log's first entry (at its start) has expired, its second lives on; the hint is gone
    // (expired early, or its write was lost).
    const heads = await inner.query('p#edges#heads');
    expect(heads).toHaveLength(1);
    await inner.deleteAll(heads.map((h) => ({ pk: h.pk, sk: h.sk })));
    for (let b = 65; b <= 66; b++) {
      clock.now = BASE + b * 1000 + 600;
      await engine.closeReady(); // the shard has no hint: it stays in the cut all the same
    }
    clock.now = BASE + 67_600;
    await engine.mapPhase([rec('s0', BASE + 67_100)]);
    for (let b = 68; b <= 80; b++) {
      clock.now = BASE + b * 1000 + 600;
      await engine.closeReady();
    }
    expect(total()).toBe(3);
    expect(metrics.get('LogGaps')).toBeUndefined();
  });

  test.each([
    [
      { batchInterval: 1, allowedLateness: 40, retention: 60 },
      /at least twice batchInterval \+ allowedLateness \(1 \+ 40 = 41 s;.*retention to at least 82 s/,
    ],
    [{ batchInterval: 40, allowedLateness: 10, retention: 60 }, /\(40 \+ 10 = 50 s;.*at least 100 s/],
    [
      { batchInterval: 120, retention: 60 },
      /\(120 \+ 121 = 241 s; allowedLateness defaults to batchInterval \+ 1 s\)/,
    ],
  ])(
    'definePipeline refuses a retention shorter than twice the interval plus the lateness, saying what to change (%j)',
    (options, message) => {
      const define = () =>
        definePipeline({ name: 'p', ...options }, (ssc) => ssc.kinesisTextStream().pprint());
      expect(define).toThrow(message);
    },
  );
});

/** A store whose next put of a matching item applies but reports a refusal (the SDK's resend was refused). */
class AppliedButRefused extends ForwardingStore {
  constructor(
    inner: InMemoryStateStore,
    private match: ((item: StoreItem) => boolean) | undefined,
  ) {
    super(inner);
  }
  override async put(item: StoreItem, c?: Condition): Promise<boolean> {
    const applied = await super.put(item, c);
    if (applied && this.match?.(item)) {
      this.match = undefined;
      return super.put(item, c); // the resend of the same request: refused
    }
    return applied;
  }
}

describe('a write that applied but came back refused', () => {
  test.each([
    ['claim', (i: StoreItem) => i.pk.endsWith('#close') && !i.sk.endsWith('#done')],
    ['done marker', (i: StoreItem) => i.pk.endsWith('#close') && i.sk.endsWith('#done')],
  ])('%s: the closer knows its own write (no stall for the lease, metrics once)', async (_name, match) => {
    const { clock, make, total, metrics } = setup({
      lateness: 0.5,
      retention: 3600,
      shards: ['s0'],
      store: (inner) => new AppliedButRefused(inner, match),
    });
    const engine = make();
    clock.now = BASE + 600;
    await engine.mapPhase([rec('s0', BASE + 100), rec('s0', BASE + 200)]);
    clock.now = BASE + 1_700;
    expect(await engine.closeReady()).toEqual([BASE + 1000]);
    expect(total()).toBe(2);
    expect(metrics.get('RecordsIn')).toBe(2);
  });
});
