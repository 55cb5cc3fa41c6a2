import { DStream } from './dstream';
import { RDD } from './rdd';
import { requireMultiple, secondsToMs } from '../plan/time';

declare module './dstream' {
  interface DStream<T> {
    /**
     * A stream whose batch at time t holds every element of this stream's batches in
     * (t - windowSec, t]; it emits every `slideSec` (default: this stream's slide). Both must be
     * multiples of the batch interval. Partial windows at the start are emitted.
     * @example words.window(30, 10)
     */
    window(windowSec: number, slideSec?: number): DStream<T>;
  }
}

/** Window and slide in ms, validated against the parent's slide (Spark's checks, clearer errors). */
export function windowDurations(
  parent: DStream<unknown>,
  windowSec: number,
  slideSec?: number,
): [number, number] {
  const windowMs = secondsToMs(windowSec, 'window duration');
  const slideMs = slideSec === undefined ? parent.slideDuration : secondsToMs(slideSec, 'slide duration');
  requireMultiple(
    windowMs,
    parent.slideDuration,
    'window duration',
    'the batch interval of its parent stream',
  );
  requireMultiple(slideMs, parent.slideDuration, 'slide duration', 'the batch interval of its parent stream');
  return [windowMs, slideMs];
}

/** Spark's WindowedDStream: the union of the parent's batches in the window. */
export class WindowedDStream<T> extends DStream<T> {
  constructor(
    readonly parent: DStream<T>,
    readonly windowMs: number,
    readonly slideMs: number,
  ) {
    super(parent.ssc);
    parent.ssc.graph.markHistory(parent);
  }

  get dependencies(): DStream<any>[] {
    return [this.parent];
  }

  override get slideDuration(): number {
    return this.slideMs;
  }

  override get parentRememberMs(): number {
    return this.windowMs;
  }

  /** The parent's RDDs in the window ending at `time`. */
  windowRdds(time: number): RDD<T>[] {
    return this.parent.slice(time - this.windowMs + this.parent.slideDuration, time);
  }

  override pushTo(time: number, emit: (x: T) => void): boolean {
    if (!this.canStream(time)) return super.pushTo(time, emit);
    for (const rdd of this.windowRdds(time)) for (const p of rdd.partitions) for (const x of p) emit(x);
    return true;
  }

  protected compute(time: number): RDD<T> | undefined {
    const parts: T[][] = [];
    for (const rdd of this.windowRdds(time)) parts.push(...rdd.partitions);
    return new RDD(parts.length ? parts : [[]]);
  }
}

DStream.prototype.window = function <T>(this: DStream<T>, windowSec: number, slideSec?: number): DStream<T> {
  const [w, s] = windowDurations(this, windowSec, slideSec);
  return new WindowedDStream(this, w, s);
};
