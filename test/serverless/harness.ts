import { definePipeline, runPipelineInMemory, ServerlessEngine, StateSpec } from '../../lib';
import type {
  DStream,
  KinesisInputRecord,
  Pipeline,
  State,
  StateStore,
  StoreItem,
  StreamingContext,
} from '../../lib';
import { canonicalJson } from '../../lib/util/key-map';

/** Outputs of a pipeline run, by output index then batch time (a re-run of a batch overwrites). */
export type Outputs = Map<number, Map<number, unknown[]>>;

/** A pipeline template of the differential tests: random parameters, outputs written to `sink`. */
export interface Template {
  name: string;
  build: (ssc: StreamingContext, out: (i: number, stream: DStream<any>) => void) => void;
}

const split = (l: string) => l.split(' ').filter((w) => w.length > 0);

/** Pipelines built from {flatMap, map, filter, reduceByKey, countByValue, windows, state ops, join}. */
export function templates(b: number, w: number, s: number, timeout: number): Template[] {
  return [
    {
      name: 'wordcount (flatMap, map, reduceByKey)',
      build: (ssc, out) =>
        out(
          0,
          ssc
            .kinesisTextStream()
            .flatMap(split)
            .map((x) => [x, 1] as [string, number])
            .reduceByKey((a, c) => a + c),
        ),
    },
    {
      name: 'filter + countByValue + count',
      build: (ssc, out) => {
        const words = ssc
          .kinesisTextStream()
          .flatMap(split)
          .filter((x) => x !== 'c');
        out(0, words.countByValue());
        out(1, words.count());
      },
    },
    {
      name: `window(${w}, ${s}).countByValue`,
      build: (ssc, out) =>
        out(
          0,
          ssc
            .kinesisTextStream()
            .flatMap(split)
            .window(w * b, s * b)
            .countByValue(),
        ),
    },
    {
      name: `reduceByKeyAndWindow with inverse and filter (${w}, ${s})`,
      build: (ssc, out) =>
        out(
          0,
          ssc
            .kinesisTextStream()
            .flatMap(split)
            .map((x) => [x, 1] as [string, number])
            .reduceByKeyAndWindow(
              (a, c) => a + c,
              (a, c) => a - c,
              w * b,
              s * b,
              ([, n]) => n > 0,
            ),
        ),
    },
    {
      name: `reduceByKeyAndWindow without inverse, countByWindow, reduceByWindow (${w}, ${s})`,
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        out(
          0,
          words
            .map((x) => [x, x.length] as [string, number])
            .reduceByKeyAndWindow((a, c) => a + c, null, w * b, s * b),
        );
        out(1, words.countByWindow(w * b, s * b));
        out(
          2,
          words.map((x) => x.length).reduceByWindow((a, c) => a + c, null, w * b, s * b),
        );
        out(3, words.countByValueAndWindow(w * b, s * b));
      },
    },
    {
      name: 'updateStateByKey running totals',
      build: (ssc, out) =>
        out(
          0,
          ssc
            .kinesisTextStream()
            .flatMap(split)
            .map((x) => [x, 1] as [string, number])
            .updateStateByKey((vs: number[], st: number | undefined) => {
              const n = (st ?? 0) + vs.length;
              return n >= 5 && vs.length === 0 ? undefined : n; // idle keys past 5 are removed
            }),
        ),
    },
    {
      name: `mapWithState with timeout ${timeout}`,
      build: (ssc, out) => {
        const mapped = ssc
          .kinesisTextStream()
          .flatMap(split)
          .map((x) => [x, 1] as [string, number])
          .mapWithState(
            StateSpec.function((k: string, v: number | undefined, st: State<number>) => {
              if (st.isTimingOut()) return [k, -1] as [string, number];
              const n = (st.getOption() ?? 0) + (v ?? 0);
              st.update(n);
              return [k, n] as [string, number];
            }).timeout(timeout * b),
          );
        out(0, mapped);
        out(1, mapped.stateSnapshots());
      },
    },
    {
      name: 'join of two derived streams, groupByKeyAndWindow',
      build: (ssc, out) => {
        const words = ssc.kinesisTextStream().flatMap(split);
        const lens = words.map((x) => [x, x.length] as [string, number]);
        const counts = words.map((x) => [x, 1] as [string, number]).reduceByKey((a, c) => a + c);
        out(0, lens.join(counts));
        out(1, lens.leftOuterJoin(counts.filter(([k]) => k < 'c')));
        out(2, words.map((x) => [x.length, x] as [number, string]).groupByKeyAndWindow(w * b, s * b));
      },
    },
  ];
}

/** A pipeline from a template, writing every output to `outputs` keyed by output and batch time. */
export function pipelineOf(t: Template, batchInterval: number, outputs: Outputs): Pipeline {
  return definePipeline({ name: 'diff', batchInterval, allowedLateness: 1000 }, (ssc) =>
    t.build(ssc, (i, stream) => {
      stream.foreachRDD((rdd, time) => {
        let m = outputs.get(i);
        if (!m) outputs.set(i, (m = new Map()));
        m.set(time, structuredClone(rdd.collect()));
      });
    }),
  );
}

/** Order-insensitive form of a batch (order across shards is not defined, as in Spark), grouped values sorted. */
export function normalize(items: unknown[]): string[] {
  return items
    .map((x) => {
      if (
        Array.isArray(x) &&
        x.length === 2 &&
        Array.isArray(x[1]) &&
        x[1].every((v) => typeof v !== 'object')
      ) {
        return canonicalJson([x[0], (x[1] as unknown[]).slice().sort()]);
      }
      return canonicalJson(x);
    })
    .sort();
}

/** Compares outputs batch by batch for times <= until; returns a list of differences. */
export function diffOutputs(expected: Outputs, actual: Outputs, until: number): string[] {
  const diffs: string[] = [];
  for (const [i, exp] of expected) {
    const act = actual.get(i) ?? new Map();
    for (const [t, items] of exp) {
      if (t > until) continue;
      const a = act.get(t);
      if (!a) {
        diffs.push(`output ${i} @${t}: missing (expected ${JSON.stringify(items)})`);
        continue;
      }
      const [x, y] = [normalize(items), normalize(a)];
      if (JSON.stringify(x) !== JSON.stringify(y)) {
        diffs.push(`output ${i} @${t}: expected ${JSON.stringify(x)} got ${JSON.stringify(y)}`);
      }
    }
    for (const t of act.keys())
      if (t <= until && !exp.has(t)) diffs.push(`output ${i} @${t}: unexpected batch`);
  }
  return diffs;
}

/** A record with a UTF-8 line. */
export function record(shardId: string, seq: bigint, arrivalMs: number, line: string): KinesisInputRecord {
  return { shardId, sequenceNumber: seq.toString(), arrivalMs, data: Buffer.from(line, 'utf8') };
}

/** Thrown by FaultyStore: a crash at a store write. */
export class InjectedCrash extends Error {
  constructor() {
    super('injected crash');
  }
}

/** A store that crashes (throws) once, after its `crashAfter`-th write from now; then behaves. */
export class FaultyStore implements StateStore {
  private writes = 0;
  crashAt: number | undefined;

  constructor(readonly inner: StateStore) {}

  /** Arms a crash after `n` more writes (the n-th write happens, the crash follows it). */
  armCrash(n: number): void {
    this.writes = 0;
    this.crashAt = n;
  }

  private async afterWrite(): Promise<void> {
    this.writes++;
    if (this.crashAt !== undefined && this.writes >= this.crashAt) {
      this.crashAt = undefined;
      throw new InjectedCrash();
    }
  }

  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  query(pk: string, o?: Parameters<StateStore['query']>[1]) {
    return this.inner.query(pk, o);
  }
  async put(item: StoreItem, c?: Parameters<StateStore['put']>[1]) {
    const r = await this.inner.put(item, c);
    if (process.env.DEBUG_STORE)
      console.log(
        'put',
        item.pk,
        item.sk,
        JSON.stringify(item.attrs),
        JSON.stringify(c),
        '->',
        r,
        'crashAt',
        this.crashAt,
        this.writes,
      );
    await this.afterWrite();
    return r;
  }
  async putAll(items: StoreItem[]) {
    await this.inner.putAll(items);
    await this.afterWrite();
  }
  async deleteAll(k: { pk: string; sk: string }[]) {
    await this.inner.deleteAll(k);
    await this.afterWrite();
  }
  stats() {
    return this.inner.stats();
  }
  resetStats() {
    this.inner.resetStats();
  }
}

/** Runs the in-memory reference on the same records; returns its outputs. */
export async function reference(
  t: Template,
  b: number,
  records: KinesisInputRecord[],
  zero: number,
  until: number,
): Promise<Outputs> {
  const outputs: Outputs = new Map();
  await runPipelineInMemory(pipelineOf(t, b, outputs), records, { zeroTime: zero, untilTime: until });
  return outputs;
}

/** A small seeded PRNG (mulberry32): a delivery plan's random choices are repeatable from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { ServerlessEngine };

/** How a test invocation fails and is retried, for `deliverAsLambda`. */
export interface LambdaDelivery {
  /** One invocation: the sequence number of the record it reported failed (Lambda replays from it), if any. */
  attempt(records: KinesisInputRecord[]): Promise<string | undefined>;
  /** Whether an error thrown by `attempt` is an injected fault that Lambda retries. */
  retryable(error: unknown): boolean;
  /** Runs after each retryable error, before the retry (e.g. a new container for a dead one). */
  onError?(): void;
  random(): number;
}

/**
 * Delivers `records` as Lambda's Kinesis event source does: a reported failed record is replayed
 * from; a failed invocation is retried whole or, at random (bisect on error), its first half first
 * and then the rest, until every record is delivered.
 */
export async function deliverAsLambda(records: KinesisInputRecord[], d: LambdaDelivery): Promise<void> {
  for (;;) {
    try {
      const failed = await d.attempt(records);
      if (failed === undefined) return;
      records = records.slice(records.findIndex((x) => x.sequenceNumber === failed));
    } catch (e) {
      if (!d.retryable(e)) throw e;
      d.onError?.();
      if (records.length > 1 && d.random() < 0.5) {
        const half = Math.ceil(records.length / 2);
        await deliverAsLambda(records.slice(0, half), d);
        records = records.slice(half);
      }
    }
  }
}
