/**
 * Brute-force reference models of Spark Streaming's window and state operators, for the property
 * tests in windows.test.ts. Each model recomputes every output batch from the raw input batches,
 * with no incremental state except where Spark's semantics are themselves incremental (which keys an
 * inverse-reduced window keeps, state operators).
 *
 * Time model (Spark's, zero time 0): input batch i has time (i + 1) * b. A stream with slide s
 * emits at every t in (0, n * b] with t % s === 0 (DStream.isTimeValid: t > zeroTime and
 * (t - zeroTime) is a multiple of the slide). The window ending at t covers the batches with time in
 * (t - w, t] (WindowedDStream.compute: parent.slice(t - w + b, t); slice skips times <= zero time,
 * so partial windows at the start are emitted). All times here are milliseconds.
 *
 * Sources read (apache/spark, streaming/src/main/scala/org/apache/spark/streaming/dstream/):
 * DStream.scala, WindowedDStream.scala, ReducedWindowedDStream.scala, PairDStreamFunctions.scala,
 * StateDStream.scala, MapWithStateDStream.scala, ../rdd/MapWithStateRDD.scala and
 * ../util/StateMap.scala.
 */

/** Batch interval, window and slide, in ms. */
export interface WindowShape {
  batchMs: number;
  windowMs: number;
  slideMs: number;
}

/** One output batch: its time (ms) and its elements. */
export interface Emission<T> {
  time: number;
  items: T[];
}

/** Time (ms) of input batch `i` (0-based). */
export function batchTime(i: number, batchMs: number): number {
  return (i + 1) * batchMs;
}

/** The times (ms) at which a stream with slide `slideMs` emits, over `numBatches` input batches. */
export function validTimes(numBatches: number, batchMs: number, slideMs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < numBatches; i++) {
    const t = batchTime(i, batchMs);
    if (t % slideMs === 0) out.push(t);
  }
  return out;
}

/** Indices of the input batches whose time is in (t - windowMs, t]. */
export function batchIndicesInWindow(numBatches: number, shape: WindowShape, t: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < numBatches; i++) {
    const bt = batchTime(i, shape.batchMs);
    if (bt > t - shape.windowMs && bt <= t) out.push(i);
  }
  return out;
}

/** Every element of the window ending at t, in batch order. */
function windowItems<T>(input: T[][], shape: WindowShape, t: number): T[] {
  return batchIndicesInWindow(input.length, shape, t).flatMap((i) => input[i]);
}

/** Groups pairs by key (first-seen key order, values in order). */
function groupByKey<K, V>(pairs: [K, V][]): Map<K, V[]> {
  const m = new Map<K, V[]>();
  for (const [k, v] of pairs) {
    const vs = m.get(k);
    if (vs) vs.push(v);
    else m.set(k, [v]);
  }
  return m;
}

function reduceAll<V>(vs: V[], fn: (a: V, b: V) => V): V {
  return vs.reduce((a, b) => fn(a, b));
}

/** window(w, s): at every valid t, the elements of all batches in (t - w, t] (empty windows emit []). */
export function windowModel<T>(input: T[][], shape: WindowShape): Emission<T>[] {
  return validTimes(input.length, shape.batchMs, shape.slideMs).map((time) => ({
    time,
    items: windowItems(input, shape, time),
  }));
}

/**
 * reduceByWindow(fn, null, w, s) = reduce(fn).window(w, s).reduce(fn) (DStream.scala). DStream.reduce
 * is map((null, _)).reduceByKey(fn).map(_._2), which has no element for an empty batch: an empty
 * window emits [], a non-empty one [the reduction].
 */
export function reduceByWindowModel<T>(
  input: T[][],
  fn: (a: T, b: T) => T,
  shape: WindowShape,
): Emission<T>[] {
  return windowModel(input, shape).map(({ time, items }) => ({
    time,
    items: items.length === 0 ? [] : [reduceAll(items, fn)],
  }));
}

/**
 * Keys present, and their values, in Spark's ReducedWindowedDStream (reduceByKeyAndWindow with an
 * inverse function), in closed form, for slide <= window.
 *
 * ReducedWindowedDStream.compute(t) cogroups the previous window's output (at t - s), the reduced
 * batches that left ("old": times in [t - w - s + b, t - w]) and those that entered ("new": times in
 * [t - s + b, t]); every key of the cogroup is emitted (then filterFunc applies). So without a
 * filter a key, once it appears in a batch at time u, is emitted at the first valid t >= u and at
 * every later valid time, even when its value went back to the inverse's zero (Spark's
 * WindowOperationsSuite "big test" with inverse: ("c", 0)). With slide <= window the incremental
 * value equals the plain reduction of the window (`zero` when the key has no data in the window).
 *
 * With a filterFunc: the previous output is filtered, so a dropped key re-enters only through new
 * batches. If the filter drops a key that still has data in the window, Spark later finds the key
 * in the "old" batches only, with no previous value and no new values, and throws ("Neither previous
 * window has value for key, nor new values found"). This model therefore needs filters that keep
 * every key with data in the window (e.g. v !== 0 with positive values); `keyHasDataInWindow`
 * checks that and throws otherwise, so a test cannot silently rely on an undefined case.
 */
export function reduceByKeyAndWindowInvModel<K, V>(
  input: [K, V][][],
  fn: (a: V, b: V) => V,
  zero: V,
  shape: WindowShape,
  filterFunc?: (kv: [K, V]) => boolean,
): Emission<[K, V]>[] {
  if (shape.slideMs > shape.windowMs) {
    throw new Error(
      'reduceByKeyAndWindowInvModel: Spark`s incremental result is only a window reduction for slide <= window',
    );
  }
  return validTimes(input.length, shape.batchMs, shape.slideMs).map((time) => {
    const seen: K[] = [];
    for (let i = 0; i < input.length && batchTime(i, shape.batchMs) <= time; i++) {
      for (const [k] of input[i]) if (!seen.includes(k)) seen.push(k);
    }
    const inWindow = groupByKey(windowItems(input, shape, time));
    const items: [K, V][] = [];
    for (const k of seen) {
      const vs = inWindow.get(k);
      const kv: [K, V] = [k, vs ? reduceAll(vs, fn) : zero];
      if (!filterFunc) items.push(kv);
      else if (filterFunc(kv)) items.push(kv);
      else if (vs) {
        throw new Error(
          `reduceByKeyAndWindowInvModel: the filter drops key ${String(k)} at ${time} ms while it has data in the window; ` +
            'Spark would throw once that data leaves the window. Use a filter that keeps such keys.',
        );
      }
    }
    return { time, items };
  });
}

/** reduceByKeyAndWindow(fn, null, w, s) = reduceByKey(fn).window(w, s).reduceByKey(fn): keys with data in the window. */
export function reduceByKeyAndWindowModel<K, V>(
  input: [K, V][][],
  fn: (a: V, b: V) => V,
  shape: WindowShape,
): Emission<[K, V]>[] {
  return windowModel(input, shape).map(({ time, items }) => ({
    time,
    items: Array.from(groupByKey(items), ([k, vs]) => [k, reduceAll(vs, fn)] as [K, V]),
  }));
}

/** groupByKeyAndWindow(w, s) = groupByKey().window(w, s).combineByKey(concat): keys with data in the window. */
export function groupByKeyAndWindowModel<K, V>(input: [K, V][][], shape: WindowShape): Emission<[K, V[]]>[] {
  return windowModel(input, shape).map(({ time, items }) => ({ time, items: Array.from(groupByKey(items)) }));
}

/**
 * countByValueAndWindow(w, s) = map((_, 1)).reduceByKeyAndWindow(+, -, w, s, filter = count != 0):
 * counts are positive exactly for values in the window, so the output is the values of the window
 * with their counts (keys whose count went back to 0 are dropped).
 */
export function countByValueAndWindowModel<T>(input: T[][], shape: WindowShape): Emission<[T, number]>[] {
  const pairs = input.map((b) => b.map((x) => [x, 1] as [T, number]));
  return reduceByKeyAndWindowInvModel(
    pairs,
    (a, b) => a + b,
    0,
    shape,
    ([, c]) => c !== 0,
  );
}

/**
 * reduceByWindow(fn, invFn, w, s) = map((1, _)).reduceByKeyAndWindow(fn, invFn, w, s, 1).map(_._2)
 * (DStream.scala): one key, never filtered. So the output is [] at every valid time before the
 * first element arrives, and afterwards always one element: the window's reduction, or `zero`
 * (fn's identity, which is what the inverse leaves) when the window is empty.
 */
export function reduceByWindowInvModel<T>(
  input: T[][],
  fn: (a: T, b: T) => T,
  zero: T,
  shape: WindowShape,
): Emission<T>[] {
  const keyed = input.map((b) => b.map((x) => [1, x] as [number, T]));
  return reduceByKeyAndWindowInvModel(keyed, fn, zero, shape).map(({ time, items }) => ({
    time,
    items: items.map(([, v]) => v),
  }));
}

/**
 * countByWindow(w, s) = map(_ => 1L).reduceByWindow(_ + _, _ - _, w, s) (DStream.scala), i.e. the
 * inverse-function reduceByWindow above over a single key: before any element has been seen the
 * window emits an EMPTY batch [] (no key yet, so no count, not even 0); once an element has been
 * seen the key is never dropped (no filterFunc), so an empty window then emits [0].
 * (Spark's WindowOperationsSuite "countByWindow": ..., Seq(1), Seq(0) for windows that emptied.)
 */
export function countByWindowModel<T>(input: T[][], shape: WindowShape): Emission<number>[] {
  return reduceByWindowInvModel(
    input.map((b) => b.map(() => 1)),
    (a, b) => a + b,
    0,
    shape,
  );
}

/**
 * A literal transcription of ReducedWindowedDStream.compute (any slide, including slide > window),
 * used to cross-check the closed-form model above and to document Spark's behaviour when the slide
 * exceeds the window. Returns 'spark-throws' where Spark's mergeValues throws.
 */
export function sparkReducedWindowed<K, V>(
  input: [K, V][][],
  fn: (a: V, b: V) => V,
  invFn: (a: V, b: V) => V,
  shape: WindowShape,
  filterFunc?: (kv: [K, V]) => boolean,
): Emission<[K, V]>[] | 'spark-throws' {
  const { batchMs: b, windowMs: w, slideMs: s } = shape;
  const reducedAt = (t: number): Map<K, V> | undefined => {
    const i = t / b - 1;
    if (t <= 0 || i >= input.length) return undefined;
    return new Map(Array.from(groupByKey(input[i]), ([k, vs]) => [k, reduceAll(vs, fn)] as [K, V]));
  };
  const slice = (from: number, to: number): Map<K, V>[] => {
    const out: Map<K, V>[] = [];
    for (let t = from; t <= to; t += b) {
      const r = t > 0 ? reducedAt(t) : undefined;
      if (r) out.push(r);
    }
    return out;
  };
  const outputs = new Map<number, Map<K, V>>();
  const emissions: Emission<[K, V]>[] = [];
  for (const t of validTimes(input.length, b, s)) {
    const curBegin = t - w + b;
    const prevBegin = curBegin - s;
    const prevEnd = t - s;
    const prev = outputs.get(prevEnd) ?? new Map<K, V>();
    const olds = slice(prevBegin, curBegin - b);
    const news = slice(prevEnd + b, t);
    const keys: K[] = [];
    for (const m of [prev, ...olds, ...news]) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
    const out = new Map<K, V>();
    for (const k of keys) {
      const oldVs = olds.filter((m) => m.has(k)).map((m) => m.get(k) as V);
      const newVs = news.filter((m) => m.has(k)).map((m) => m.get(k) as V);
      let v: V;
      if (!prev.has(k)) {
        if (newVs.length === 0) return 'spark-throws';
        v = reduceAll(newVs, fn);
      } else {
        v = prev.get(k) as V;
        if (oldVs.length) v = invFn(v, reduceAll(oldVs, fn));
        if (newVs.length) v = fn(v, reduceAll(newVs, fn));
      }
      if (!filterFunc || filterFunc([k, v])) out.set(k, v);
    }
    outputs.set(t, out);
    emissions.push({ time: t, items: Array.from(out) });
  }
  return emissions;
}

/**
 * updateStateByKey(fn) (StateDStream.scala): every batch (the queue source yields an RDD at every
 * batch time, empty or not), fn is called once per key that has state or values in the batch, with
 * the key's values in batch order (possibly []) and its previous state (undefined for a new key);
 * undefined removes the key. Every batch emits all [key, state] pairs (possibly none). An initial
 * state (Spark's initialRDD) is the previous state of the first batch (computeUsingPreviousRDD).
 */
export function updateStateByKeyModel<K, V, S>(
  input: [K, V][][],
  fn: (values: V[], state: S | undefined) => S | undefined,
  batchMs: number,
  initial?: [K, S][],
): Emission<[K, S]>[] {
  let state = new Map<K, S>(initial ?? []);
  return input.map((batch, i) => {
    const groups = groupByKey(batch);
    const next = new Map<K, S>();
    for (const [k, s] of state) {
      const r = fn(groups.get(k) ?? [], s);
      if (r !== undefined) next.set(k, r);
    }
    for (const [k, vs] of groups) {
      if (state.has(k)) continue;
      const r = fn(vs, undefined);
      if (r !== undefined) next.set(k, r);
    }
    state = next;
    return { time: batchTime(i, batchMs), items: Array.from(state) };
  });
}

/** The state handle passed to a mapWithState model function (Spark's StateImpl). */
export interface ModelState<S> {
  exists(): boolean;
  get(): S;
  getOption(): S | undefined;
  update(s: S): void;
  remove(): void;
  isTimingOut(): boolean;
}

class ModelStateImpl<S> implements ModelState<S> {
  defined = false;
  value: S | undefined;
  updated = false;
  removed = false;
  timingOut = false;
  wrap(defined: boolean, value: S | undefined, timingOut: boolean): void {
    this.defined = defined;
    this.value = value;
    this.timingOut = timingOut;
    this.updated = false;
    this.removed = false;
  }
  exists(): boolean {
    return this.defined;
  }
  get(): S {
    if (!this.defined) throw new Error('model: State is not set');
    return this.value as S;
  }
  getOption(): S | undefined {
    return this.defined ? this.value : undefined;
  }
  update(s: S): void {
    if (this.timingOut || this.removed) throw new Error('model: cannot update a timing-out or removed state');
    this.value = s;
    this.defined = true;
    this.updated = true;
  }
  remove(): void {
    if (this.timingOut || this.removed) throw new Error('model: cannot remove a timing-out or removed state');
    this.defined = false;
    this.removed = true;
  }
  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/** What a mapWithState run produces per batch: mapped values and the state snapshot. */
export interface MapWithStateModelOutput<K, S, U> {
  mapped: Emission<U>[];
  snapshots: Emission<[K, S]>[];
}

/**
 * mapWithState(StateSpec.function(fn).timeout(timeoutMs).initialState(initial))
 * (MapWithStateDStream.scala, MapWithStateRDD.updateRecordWithData):
 * - the initial state is loaded at the first batch with update time = that batch's time
 *   (MapWithStateRDD.createFromPairRDD(..., validTime));
 * - fn is called once per RECORD of the batch (not per key), in order; a removed state is deleted;
 *   an updated state (or, with a timeout, any touched state) is stored with update time = t;
 * - with a timeout, after the records, every key whose update time is STRICTLY below t - timeout
 *   (OpenHashMapBasedStateMap.getByTime: updateTime < threshold) gets one call with no value and
 *   isTimingOut() true, and is removed.
 * Spark runs that timeout scan only on batches whose state RDD is checkpointed (doFullScan), every
 * 10 batch intervals by default; this model scans every batch, i.e. Spark with the state stream
 * checkpointed every batch interval, which is the intended semantics (and what MapWithStateSuite's
 * timeout test accepts: it only checks which keys timed out, not when).
 * The mapped stream has fn's results except undefined; snapshots list every key's state.
 */
export function mapWithStateModel<K, V, S, U>(
  input: [K, V][][],
  fn: (key: K, value: V | undefined, state: ModelState<S>) => U,
  batchMs: number,
  timeoutMs?: number,
  initial?: [K, S][],
): MapWithStateModelOutput<K, S, U> {
  const map = new Map<K, { s: S; t: number }>();
  const st = new ModelStateImpl<S>();
  const mapped: Emission<U>[] = [];
  const snapshots: Emission<[K, S]>[] = [];
  input.forEach((batch, i) => {
    const t = batchTime(i, batchMs);
    if (i === 0) for (const [k, s] of initial ?? []) map.set(k, { s, t });
    const out: U[] = [];
    for (const [k, v] of batch) {
      const cur = map.get(k);
      st.wrap(cur !== undefined, cur?.s, false);
      const r = fn(k, v, st);
      if (st.removed) map.delete(k);
      else if (st.updated || (timeoutMs !== undefined && st.defined)) map.set(k, { s: st.value as S, t });
      if (r !== undefined) out.push(r);
    }
    if (timeoutMs !== undefined) {
      const threshold = t - timeoutMs;
      for (const [k, e] of Array.from(map)) {
        if (e.t < threshold) {
          st.wrap(true, e.s, true);
          const r = fn(k, undefined, st);
          if (r !== undefined) out.push(r);
          map.delete(k);
        }
      }
    }
    mapped.push({ time: t, items: out });
    snapshots.push({ time: t, items: Array.from(map, ([k, e]) => [k, e.s] as [K, S]) });
  });
  return { mapped, snapshots };
}
