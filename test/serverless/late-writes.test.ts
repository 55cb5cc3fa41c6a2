/**
 * The fault sequences of issue 8, each a test of its own: a write that lands after its retry's
 * writes (both ways round), a takeover after the outputs ran, two streams with the same shard ids.
 * Writes are held in flight by the store and land later, as a timed-out Lambda's request does; the
 * invocation that sent one is dead (its promise is left pending, never awaited).
 */
import type { DStream, KinesisInputRecord, StoreItem, StreamingContext } from '../../lib';
import { definePipeline, ServerlessEngine } from '../../lib';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import type { Condition } from '../../lib/state/types';
import { ForwardingStore } from '../../lib/state';

const BASE = 1_700_000_000_000;
const T = (k: number) => BASE + k * 1000;
const SHARD = 'shardId-000000000000';

/** A store that can hold the next write matching a predicate in flight, to land it later. */
class InFlightStore extends ForwardingStore {
  private hold: ((item: StoreItem) => boolean) | undefined;
  private held: (() => Promise<unknown>)[] = [];
  private reached: (() => void) | undefined;

  /** The next put whose item matches `match` never returns; it lands on `land()`. */
  holdNext(match: (item: StoreItem) => boolean): Promise<void> {
    this.hold = match;
    return new Promise((r) => (this.reached = r));
  }
  /** Lands the writes held in flight (their conditions are checked now, as DynamoDB would). */
  async land(): Promise<void> {
    for (const w of this.held.splice(0)) await w();
  }
  override put(item: StoreItem, c?: Condition): Promise<boolean> {
    if (this.hold?.(item)) {
      this.hold = undefined;
      this.held.push(() => this.inner.put(item, c));
      this.reached?.();
      return new Promise<boolean>(() => undefined); // the invocation timed out waiting
    }
    return this.inner.put(item, c);
  }
}

let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
function rec(arrivalMs: number, line: string, shardId = SHARD, streamArn?: string): KinesisInputRecord {
  seq += 1_000_000_000_000n;
  return { shardId, streamArn, sequenceNumber: seq.toString(), arrivalMs, data: Buffer.from(line, 'utf8') };
}

/** Every run of each output, by batch time. */
type Runs = Map<number, unknown[][]>;

function setup(
  build: (ssc: StreamingContext) => DStream<any>,
  shards: (string | { shardId: string; streamArn: string })[] = [SHARD],
) {
  const clock = { now: BASE };
  const store = new InFlightStore(new InMemoryStateStore({ now: () => clock.now }));
  const runs: Runs = new Map();
  const pipeline = definePipeline({ name: 'late-writes', batchInterval: 1, allowedLateness: 2 }, (ssc) =>
    build(ssc).foreachRDD((rdd, t) => void runs.set(t, [...(runs.get(t) ?? []), rdd.collect()])),
  );
  const engine = (owner: string, leaseMs = 60_000) =>
    new ServerlessEngine(pipeline, {
      store,
      now: () => clock.now,
      owner,
      leaseMs,
      listShards: async () => shards,
      log: () => undefined,
    });
  return { clock, store, runs, engine };
}

const count = (ssc: StreamingContext) => ssc.kinesisTextStream().count();
const sum = (runs: Runs) => Array.from(runs.values()).reduce((n, r) => n + (r[r.length - 1][0] as number), 0);

describe('a write that lands late', () => {
  test("the first attempt's head write lands after the bisected retries: r3 and r4 are still counted, once", async () => {
    const { clock, store, runs, engine } = setup(count);
    const [r1, r2, r3, r4] = [100, 200, 300, 400].map((ms) => rec(BASE + ms, 'x'));
    clock.now = BASE + 500;
    // The first attempt commits r1..r4, then its head write hangs: the invocation times out.
    const hung = store.holdNext((i) => i.pk.endsWith('#heads'));
    void engine('attempt-1').mapPhase([r1, r2, r3, r4]);
    await hung;
    // Lambda bisects: [r1, r2], then [r3, r4], each in a fresh container.
    await engine('retry-1').mapPhase([r1, r2]);
    await store.land(); // the late head write (r4) lands after the retry's writes
    await engine('retry-2').mapPhase([r3, r4]);
    clock.now = T(5);
    await engine('closer').closeReady();
    expect(runs.get(T(1))).toEqual([[4]]);
    expect(sum(runs)).toBe(4);
  });

  test('the mirror case: a narrower entry write lands after the retry committed the wider one: refused, nothing lost', async () => {
    const { clock, store, runs, engine } = setup(count);
    const [r1, r2, r3, r4] = [100, 200, 300, 400].map((ms) => rec(BASE + ms, 'x'));
    clock.now = BASE + 500;
    // A bisected attempt [r1, r2] hangs on its entry write; the retry of the whole event commits r1..r4.
    const hung = store.holdNext((i) => i.pk.includes('#log#'));
    void engine('attempt-1').mapPhase([r1, r2]);
    await hung;
    await engine('retry').mapPhase([r1, r2, r3, r4]);
    await store.land(); // the entry [r1, r2] lands now: its put-if-absent is refused
    clock.now = T(5);
    await engine('closer').closeReady();
    expect(runs.get(T(1))).toEqual([[4]]);
    expect(sum(runs)).toBe(4);
  });

  test('an entry that lands late, after its batch closed, counts once, in a later batch (late)', async () => {
    const { clock, store, runs, engine } = setup(count);
    const [r0, r1, r2] = [50, 100, 1200].map((ms) => rec(BASE + ms, 'x'));
    clock.now = BASE + 300;
    await engine('mapper').mapPhase([r0]);
    const hung = store.holdNext((i) => i.pk.includes('#log#'));
    void engine('attempt-1').mapPhase([r1]);
    await hung;
    clock.now = T(4); // T1's lateness passes, the shard idle: T1 closes with r0 only
    expect(await engine('closer').closeReady()).toContain(T(1));
    await store.land(); // r1's entry lands: T1 is closed, the next cut takes it (late)
    await engine('retry').mapPhase([r1, r2]); // Lambda's retry finds r1 committed
    clock.now = T(9);
    await engine('closer').closeReady();
    expect(runs.get(T(1))).toEqual([[1]]);
    expect(sum(runs)).toBe(3);
  });
});

describe('a takeover after the outputs ran', () => {
  test('the batch is run again from the same cut: both runs output the same, and r3, r4 are not counted again later', async () => {
    const { clock, store, runs, engine } = setup(count);
    const [r1, r2, r3, r4] = [100, 200, 300, 400].map((ms) => rec(BASE + ms, 'x'));
    clock.now = BASE + 500;
    await engine('mapper').mapPhase([r1, r2, r3, r4]);
    clock.now = T(4);
    // Closer A claims T1 (cut: r1..r4), runs its outputs, and dies before marking it done.
    const hung = store.holdNext((i) => i.pk.endsWith('#close') && i.sk.endsWith('#done'));
    void engine('closer-a', 1000).closeReady();
    await hung;
    expect(runs.get(T(1))).toEqual([[4]]);
    // A bisected retry of the map phase's event finds r1..r4 committed: it changes nothing.
    await engine('retry').mapPhase([r1, r2]);
    clock.now = T(4) + 1001; // A's lease ran out
    expect(await engine('closer-b').closeReady()).toContain(T(1));
    await store.land(); // A's done marker lands late: refused, the batch is done already
    clock.now = T(9);
    await engine('closer-b').closeReady();
    expect(runs.get(T(1))).toEqual([[4], [4]]);
    expect(sum(runs)).toBe(4);
  });
});

describe('two streams feeding one pipeline', () => {
  test('both have a shardId-000000000000: checkpoints are per stream, so neither shadows the other', async () => {
    const a = 'arn:aws:kinesis:us-east-1:123456789012:stream/lines-a';
    const b = 'arn:aws:kinesis:us-east-1:123456789012:stream/lines-b';
    const { clock, runs, engine } = setup(count, [
      { shardId: SHARD, streamArn: a },
      { shardId: SHARD, streamArn: b },
    ]);
    clock.now = BASE + 900;
    const mapper = engine('mapper');
    // Stream b's sequence numbers are lower than a's: with one checkpoint per shard id, b's records
    // would all be dropped as already applied.
    const fromB = [rec(BASE + 150, 'b1', SHARD, b), rec(BASE + 250, 'b2', SHARD, b)];
    const fromA = [rec(BASE + 100, 'a1', SHARD, a), rec(BASE + 1100, 'a2', SHARD, a)];
    await mapper.mapPhase(fromA);
    await mapper.mapPhase(fromB);
    await mapper.mapPhase([rec(BASE + 1200, 'b3', SHARD, b)]);
    clock.now = T(5);
    await engine('closer').closeReady();
    expect(runs.get(T(1))).toEqual([[3]]); // a1, b1, b2
    expect(runs.get(T(2))).toEqual([[2]]); // a2, b3
  });
});
