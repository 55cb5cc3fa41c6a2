/**
 * Races and crashes around batch close: map phases racing the first close
 * and later cuts, retries of late records, lease takeovers, closer errors; plus per-source decoding
 * and the storage codec. Interleavings are forced with store hooks.
 */
import type { DStream, StreamingContext } from '../../lib';
import { BASE, Crash, T, inMemory, isClaim, isDone, isLogEntry, rec, setup, total } from './races-support';

const split = (l: string) => l.split(' ').filter((w) => w.length > 0);
const countAndState = (ssc: StreamingContext, out: (i: number, s: DStream<any>) => void) => {
  const words = ssc.kinesisTextStream().flatMap(split);
  out(0, words.count());
  out(
    1,
    words
      .map((w) => [w, 1] as [string, number])
      .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length),
  );
};
const stateAt = (outs: Map<number, Map<number, unknown[]>>, t: number) =>
  Object.fromEntries((outs.get(1)?.get(t) ?? []) as [string, number][]);

/** A promise that the hook resolves when reached, and a gate the test opens. */
function pausePoint() {
  let reached!: () => void;
  let release!: () => void;
  return {
    reached: new Promise<void>((r) => (reached = r)),
    gate: new Promise<void>((r) => (release = r)),
    arrive: () => reached(),
    release: () => release(),
  };
}

describe('exactly-once around cuts and retries', () => {
  test('late record: a retry after its late batch closed does not count it again', async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A'] });
    const mapper = engine('mapper');
    const closer = engine('closer');
    await mapper.mapPhase([rec('A', BASE + 100, 'a')]); // batch T1
    clock.now = T(3); // T1's lateness (2 s) has passed
    expect(await closer.closeReady()).toEqual([T(1)]);

    const late = rec('A', BASE + 300, 'b'); // arrived in T1's interval, delivered after T1 closed
    store.onWrite = (_k, items) => {
      if (isLogEntry(items)) {
        store.onWrite = undefined;
        throw new Crash('crash after the entry commit, before the head moved');
      }
    };
    await expect(mapper.mapPhase([late])).rejects.toThrow(Crash);
    clock.now = T(6);
    expect(await closer.closeReady()).toContain(T(2)); // T2 includes the committed entry: b is late
    await mapper.mapPhase([late]); // Lambda's retry of the same record: already committed
    clock.now = T(20);
    await closer.closeReady();
    expect(total(outs)).toBe(2);
    expect(stateAt(outs, T(10))).toEqual({ a: 1, b: 1 });
  });

  test('an entry committed just after a cut belongs to the next batch (late), counted once', async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A'] });
    const mapper = engine('mapper');
    const closer = engine('closer');
    await mapper.mapPhase([rec('A', BASE + 100, 'a')]); // T1
    clock.now = T(3);
    // The closer reads A's log for T1's cut (its second read: the first finds the pipeline's first
    // batch), then stalls before claiming; the map phase commits b (T1) meanwhile.
    const p = pausePoint();
    let reads = 0;
    store.onQuery = async (pk) => {
      if (pk.includes('#log#') && ++reads === 2) {
        store.onQuery = undefined;
        p.arrive();
        await p.gate;
      }
    };
    const closing = closer.closeReady();
    await p.reached;
    await mapper.mapPhase([rec('A', BASE + 500, 'b'), rec('A', BASE + 1500, 'c')]);
    p.release();
    expect(await closing).toContain(T(1));
    expect(outs.get(0)?.get(T(1))).toEqual([1]); // T1's cut had only a
    clock.now = T(20);
    await closer.closeReady();
    expect(total(outs)).toBe(3);
    expect(outs.get(0)?.get(T(2))).toEqual([2]); // b (late) and c
  });

  test("a shard's first record committed during the first close is late, counted once, kept in state", async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A', 'B'] });
    const mapper = engine('mapper');
    const closer = engine('closer');
    await mapper.mapPhase([rec('A', BASE + 1100, 'a')]); // T2
    clock.now = T(5); // T2's lateness passed; B never sent anything
    const x = rec('B', BASE + 500, 'x'); // T1: before the pipeline's first batch
    store.onWrite = async (_k, items, ok) => {
      if (ok && isClaim(items)) {
        store.onWrite = undefined;
        await mapper.mapPhase([x]); // committed while the closer runs T2
      }
    };
    await closer.closeReady();
    await mapper.mapPhase([x]); // Lambda's retry of the same record
    clock.now = T(10);
    await closer.closeReady();
    expect(stateAt(outs, T(8))).toEqual({ a: 1, x: 1 });
    expect(total(outs)).toBe(2);
  });

  test('a crash between done and the progress move: the next closer moves it; nothing counts twice', async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A', 'B'] });
    const mapper = engine('mapper');
    const closer = engine('closer');
    await mapper.mapPhase([rec('A', BASE + 1100, 'a')]); // T2
    clock.now = T(5);
    store.onWrite = (_k, items) => {
      if (isDone(items)) {
        store.onWrite = undefined;
        throw new Crash('crash after done, before the progress moved');
      }
    };
    await expect(closer.closeReady()).rejects.toThrow(Crash);
    await mapper.mapPhase([rec('B', BASE + 500, 'x')]); // T1: before the first batch, late
    clock.now = T(10);
    await closer.closeReady();
    expect(stateAt(outs, T(8))).toEqual({ a: 1, x: 1 });
    expect(total(outs)).toBe(2);
  });

  test('lease takeover: the new owner runs the batch from the same cut, so both runs output the same', async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A'], leaseMs: 1000 });
    const mapper = engine('mapper');
    const slow = engine('slow');
    const other = engine('other');
    await mapper.mapPhase([rec('A', BASE + 100, 'a')]); // T1
    clock.now = T(3);
    const runs: unknown[] = [];
    const p = pausePoint();
    store.onWrite = async (_k, items, ok) => {
      if (ok && isClaim(items)) {
        store.onWrite = undefined;
        p.arrive();
        await p.gate; // the slow closer claimed T1 with cut [a], then stalls
      }
    };
    const slowRun = slow.closeReady();
    await p.reached;
    await mapper.mapPhase([rec('A', BASE + 200, 'b')]); // T1 by arrival, committed after the cut
    clock.now = T(3) + 1001; // the slow closer's lease ran out
    expect(await other.closeReady()).toContain(T(1)); // takes T1 over with the same cut
    runs.push(outs.get(0)?.get(T(1)));
    p.release();
    await slowRun; // its lease ran out: it stops before outputs
    runs.push(outs.get(0)?.get(T(1)));
    expect(runs).toEqual([[1], [1]]);
    clock.now = T(10);
    await other.closeReady();
    expect(total(outs)).toBe(2);
    expect(stateAt(outs, T(8))).toEqual({ a: 1, b: 1 });
  });
});

describe('closer failure handling', () => {
  test('a closer error releases its claim: the batch is retried at once; map phases go on', async () => {
    const { clock, store, outs, engine } = setup(countAndState, { listShards: ['A'] });
    const mapper = engine('mapper');
    const closer = engine('closer');
    await mapper.mapPhase([rec('A', BASE + 100, 'a')]); // T1
    clock.now = T(3);
    expect(await closer.closeReady()).toEqual([T(1)]);
    await mapper.mapPhase([rec('A', BASE + 1100, 'b')]); // T2
    clock.now = T(6); // T2's lateness passed and shard A has been idle for longer than the lateness
    store.onWrite = (_k, items) => {
      if (items.some((i) => i.pk.includes('#delta#') || i.pk.includes('#snap#'))) {
        store.onWrite = undefined;
        throw new Error('ProvisionedThroughputExceededException (transient)');
      }
    };
    await expect(closer.closeReady()).rejects.toThrow(/transient/);
    // A map phase goes on meanwhile (nothing waits for closes), then the next tick retries T2 at once.
    await expect(mapper.mapPhase([rec('A', BASE + 200, 'c')])).resolves.toMatchObject({ processed: 1 });
    expect(await closer.closeReady()).toContain(T(2));
    clock.now = T(20);
    await closer.closeReady();
    expect(total(outs)).toBe(3);
  });
});

describe('results equal the in-memory engine', () => {
  test('two sources with different decoders: a record one source cannot decode still feeds the other', async () => {
    const build = (ssc: StreamingContext, out: (i: number, s: DStream<any>) => void) => {
      out(0, ssc.kinesisTextStream().count());
      out(
        1,
        ssc.kinesisStream((bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown).count(),
      );
    };
    const records = [rec('A', BASE + 100, 'hello'), rec('A', BASE + 200, '1')];
    const expected = await inMemory(build, records, T(0), T(1));
    expect(expected.get(0)?.get(T(1))).toEqual([2]);
    const { clock, outs, engine } = setup(build, { listShards: ['A'] });
    await engine('m').mapPhase(records);
    clock.now = T(5);
    await engine('c').closeReady();
    expect(outs.get(0)?.get(T(1))).toEqual([2]);
  });
});

describe('codec', () => {
  test('non-finite numbers and undefined survive storage, as in the in-memory engine', async () => {
    const { decode, encode } = await import('../../lib/engine/codec');
    expect(
      decode(
        encode([
          ['k', Infinity],
          ['n', NaN],
          ['u', undefined],
        ]),
      ),
    ).toEqual([
      ['k', Infinity],
      ['n', NaN],
      ['u', undefined],
    ]);
  });
});
