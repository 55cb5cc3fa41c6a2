/**
 * A local "deployment" for tests of pipelines that evolve: one store and one simulated clock,
 * versions of a pipeline's code deployed on it one after another (a new ServerlessEngine per
 * version, as a new Lambda version gets new containers), records sent to one shard and batches
 * closed on the clock. Outputs of every version land in one place, by label and batch time.
 */
import { definePipeline, ServerlessEngine } from '../../lib';
import type { DStream, StateStore, StreamingContext } from '../../lib';
import { record } from './harness';

export const T0 = 1_700_000_000_000;
export const SHARD = 'shardId-000000000000';

/** Outputs by label, then batch time. */
export type Collected = Map<string, Map<number, unknown[]>>;

/** Collects `stream`'s batches under `label`. */
export function collectInto(out: Collected, label: string, stream: DStream<unknown>): void {
  stream.foreachRDD((rdd, time) => {
    let m = out.get(label);
    if (!m) out.set(label, (m = new Map()));
    m.set(time, structuredClone(rdd.collect()));
  });
}

/** A version of the pipeline's code: its definition, given where to collect. */
export type Version = (ssc: StreamingContext, out: (label: string, s: DStream<unknown>) => void) => void;

export const split = (l: string): string[] => l.split(' ').filter((w) => w.length > 0);

/** One store, one clock, versions deployed in turn. */
export class Deployment {
  readonly out: Collected = new Map();
  readonly logs: string[] = [];
  clock = T0;
  private seq = 1n;
  readonly store: StateStore;

  /** `makeStore` gets the deployment's clock (stores leave out items whose TTL passed by it). */
  constructor(
    makeStore: (now: () => number) => StateStore,
    readonly name = 'evo',
  ) {
    this.store = makeStore(() => this.clock);
  }

  /** A new engine running `version` (batch interval `interval` s, lateness 0). */
  deploy(version: Version, interval = 1): ServerlessEngine {
    const pipeline = definePipeline({ name: this.name, batchInterval: interval, allowedLateness: 0 }, (ssc) =>
      version(ssc, (label, s) => collectInto(this.out, label, s)),
    );
    return new ServerlessEngine(pipeline, {
      store: this.store,
      now: () => this.clock,
      listShards: async () => [SHARD],
      log: (m) => void this.logs.push(m),
    });
  }

  /** Sends `lines` as records arriving now (one record per line) through `engine`'s map phase. */
  async send(engine: ServerlessEngine, lines: string[]): Promise<void> {
    const records = lines.map((l, i) => record(SHARD, this.seq++, this.clock + 100 + i, l));
    const r = await engine.mapPhase(records);
    if (r.failure) throw r.failure;
  }

  /** The batch the clock is in (the batch of records arriving now). */
  currentBatch(interval = 1000): number {
    return (Math.floor((this.clock + 100) / interval) + 1) * interval;
  }

  /** Moves the clock to the end of the current batch and closes what is ready with `engine`. */
  async close(engine: ServerlessEngine, interval = 1000): Promise<number[]> {
    this.clock = this.currentBatch(interval);
    return engine.closeReady();
  }

  /** Sends `lines` in the current batch and closes it: one step of the pipeline. */
  async step(engine: ServerlessEngine, lines: string[]): Promise<number> {
    await this.send(engine, lines);
    const closed = await this.close(engine);
    return closed[closed.length - 1];
  }

  /** The latest batch of output `label`, or undefined. */
  latest(label: string): unknown[] | undefined {
    const m = this.out.get(label);
    if (!m || m.size === 0) return undefined;
    return m.get(Math.max(...m.keys()));
  }
}

/** Sorted `[key, value]` pairs of a batch, for comparisons. */
export function sortedPairs(items: unknown[] | undefined): [unknown, unknown][] {
  return ((items ?? []) as [unknown, unknown][])
    .slice()
    .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));
}

/** Counts of each word in `lines`, added to `counts`. */
export function countWords(counts: Map<string, number>, lines: string[], keep = (_w: string) => true): void {
  for (const w of lines.flatMap(split)) if (keep(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
}

/** A count map as sorted pairs. */
export function pairsOf(counts: Map<unknown, number>): [unknown, unknown][] {
  return sortedPairs(Array.from(counts.entries()));
}
