import { DStream } from './dstream';
import { RDD } from './rdd';
import { KeyMap } from '../util/key-map';
import { secondsToMs } from '../plan/time';

/**
 * The state of one key inside a mapWithState function, as Spark's `State[S]`.
 */
export interface State<S> {
  /** True when the key has state. */
  exists(): boolean;
  /** The state; throws when there is none (check `exists()`). */
  get(): S;
  /** The state, or undefined. */
  getOption(): S | undefined;
  /** Sets the state (not allowed while timing out). */
  update(newState: S): void;
  /** Removes the key's state (not allowed while timing out). */
  remove(): void;
  /** True when the call is for a key whose state timed out (the value is then undefined). */
  isTimingOut(): boolean;
}

/** Spark's StateImpl. */
class StateImpl<S> implements State<S> {
  state: S | undefined;
  defined = false;
  timingOut = false;
  updated = false;
  removed = false;

  wrap(defined: boolean, state: S | undefined, timingOut = false): void {
    this.state = state;
    this.defined = defined;
    this.timingOut = timingOut;
    this.updated = false;
    this.removed = false;
  }
  exists(): boolean {
    return this.defined;
  }
  get(): S {
    if (!this.defined) throw new Error('State is not set: check state.exists() before state.get().');
    return this.state as S;
  }
  getOption(): S | undefined {
    return this.defined ? this.state : undefined;
  }
  update(newState: S): void {
    if (this.removed) throw new Error('Cannot update the state after it has been removed.');
    if (this.timingOut) throw new Error('Cannot update the state that is timing out.');
    this.state = newState;
    this.defined = true;
    this.updated = true;
  }
  remove(): void {
    if (this.timingOut) throw new Error('Cannot remove the state that is timing out.');
    if (this.removed) throw new Error('Cannot remove the state that has already been removed.');
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }
  isTimingOut(): boolean {
    return this.timingOut;
  }
}

/** A mapWithState function: called once per record (value set) and once per timed-out key (value undefined). */
export type MappingFunction<K, V, S, U> = (key: K, value: V | undefined, state: State<S>) => U;

/**
 * The specification of a mapWithState operation, as Spark's StateSpec:
 * `StateSpec.function(fn).timeout(seconds).initialState(pairs)`.
 */
export class StateSpec<K, V, S, U> {
  private constructor(
    readonly fn: MappingFunction<K, V, S, U>,
    readonly timeoutMs: number | undefined,
    readonly initial: [K, S][] | undefined,
  ) {}

  /** A spec calling `fn(key, value, state)`; the values it returns (other than undefined) form the mapped stream. */
  static function<K, V, S, U>(fn: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    if (typeof fn !== 'function')
      throw new TypeError('StateSpec.function() needs a function (key, value, state) => mapped.');
    return new StateSpec(fn, undefined, undefined);
  }

  /** Keys without new data for `seconds` time out: `fn` is called once for them with no value, then they are removed. */
  timeout(seconds: number): StateSpec<K, V, S, U> {
    return new StateSpec(this.fn, secondsToMs(seconds, 'StateSpec timeout'), this.initial);
  }

  /** State of keys before the first batch. */
  initialState(pairs: Iterable<[K, S]>): StateSpec<K, V, S, U> {
    return new StateSpec(this.fn, this.timeoutMs, Array.from(pairs));
  }
}

/** One batch of the internal state stream: every key's state with its last update time, and the mapped values. */
export interface StateRecord<K, S, U> {
  states: [K, S, number][];
  mapped: U[];
}

/** The stream mapWithState returns: the mapped values, plus `stateSnapshots()`. */
export interface MapWithStateDStream<K, S, U> extends DStream<U> {
  /** A stream of `[k, state]` of every key with state after each batch. */
  stateSnapshots(): DStream<[K, S]>;
}

/** Spark's InternalMapWithStateDStream: one StateRecord per batch, from the previous one and the batch's data. */
export class InternalMapWithStateDStream<K, V, S, U> extends DStream<StateRecord<K, S, U>> {
  constructor(
    readonly parent: DStream<[K, V]>,
    readonly spec: StateSpec<K, V, S, U>,
  ) {
    super(parent.ssc);
    parent.ssc.graph.markHistory(this);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  protected compute(time: number): RDD<StateRecord<K, S, U>> | undefined {
    const prev = this.getOrCompute(time - this.slideDuration);
    const map = new KeyMap<K, { state: S; time: number }>();
    if (prev) {
      for (const [k, s, t] of prev.first().states) map.set(k, { state: s, time: t });
    } else if (this.spec.initial) {
      for (const [k, s] of this.spec.initial) map.set(k, { state: s, time });
    }
    const fn = this.spec.fn;
    const timeoutThreshold = this.spec.timeoutMs === undefined ? undefined : time - this.spec.timeoutMs;
    const mapped: U[] = [];
    const st = new StateImpl<S>();
    this.parent.pushTo(time, ([k, v]) => {
      const cur = map.get(k);
      st.wrap(cur !== undefined, cur?.state);
      const out = fn(k, v, st);
      if (st.removed) map.delete(k);
      else if (st.updated || (st.defined && timeoutThreshold !== undefined)) {
        map.set(k, { state: st.state as S, time });
      }
      if (out !== undefined) mapped.push(out);
    });
    if (timeoutThreshold !== undefined) {
      const timedOut: [K, S][] = [];
      for (const [k, e] of map) if (e.time < timeoutThreshold) timedOut.push([k, e.state]);
      for (const [k, s] of timedOut) {
        st.wrap(true, s, true);
        const out = fn(k, undefined, st);
        if (out !== undefined) mapped.push(out);
        map.delete(k);
      }
    }
    const states: [K, S, number][] = [];
    for (const [k, e] of map) states.push([k, e.state, e.time]);
    return RDD.of([{ states, mapped }]);
  }
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * On a pair stream: keeps state per key and maps every record with `spec`'s function
     * `fn(key, value, state)`, called only for keys with new data and for keys timing out (value
     * undefined). Returns the stream of mapped values (undefined results are left out), whose
     * `stateSnapshots()` is the full state after each batch.
     * @example pairs.mapWithState(StateSpec.function((k: string, v: number | undefined, s: State<number>) => {
     *   const sum = (s.getOption() ?? 0) + (v ?? 0); if (!s.isTimingOut()) s.update(sum); return [k, sum]; }).timeout(60))
     */
    mapWithState<K, V, S, U>(
      this: DStream<[K, V]>,
      spec: StateSpec<K, V, S, U>,
    ): MapWithStateDStream<K, S, U>;
  }
}

DStream.prototype.mapWithState = function <K, V, S, U>(
  this: DStream<[K, V]>,
  spec: StateSpec<K, V, S, U>,
): MapWithStateDStream<K, S, U> {
  if (!(spec instanceof StateSpec)) {
    throw new TypeError(
      'mapWithState() needs a StateSpec: mapWithState(StateSpec.function(fn).timeout(seconds)).',
    );
  }
  const internal = new InternalMapWithStateDStream(this, spec);
  const mapped = internal.flatMap((r) => r.mapped) as MapWithStateDStream<K, S, U>;
  mapped.stateSnapshots = () => internal.flatMap((r) => r.states.map(([k, s]) => [k, s] as [K, S]));
  return mapped;
};
