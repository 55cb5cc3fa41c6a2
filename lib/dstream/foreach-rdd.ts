import { DStream } from './dstream';
import { requireFunction } from './map';
import { RDD } from './rdd';
import type { OutputStream } from '../plan/graph';

declare module './dstream' {
  interface DStream<T> {
    /**
     * An output operation: calls `fn(rdd, time)` for every batch (time in ms), in batch order;
     * a returned promise is awaited before the next output. Runs on the engine's side (the batch
     * closer in the serverless engine), at least once per batch.
     * @example counts.foreachRDD((rdd, time) => console.log(time, rdd.count()))
     */
    foreachRDD(fn: (rdd: RDD<T>, time: number) => void | Promise<void>): void;
  }
}

/** Spark's ForEachDStream: an output that runs a function on each batch's RDD. */
export class ForEachDStream<T> implements OutputStream {
  constructor(
    readonly stream: DStream<T>,
    private readonly fn: (rdd: RDD<T>, time: number) => void | Promise<void>,
    /** A name for logs and metrics (e.g. `pprint`, `saveAsTextFiles`). */
    readonly kind = 'foreachRDD',
  ) {
    stream.ssc.graph.addOutput(this as OutputStream);
  }

  lastRun: { time: number; elements: number } | undefined;

  async generateJob(time: number): Promise<void> {
    const rdd = this.stream.getOrCompute(time);
    if (!rdd) return;
    this.lastRun = { time, elements: rdd.count() };
    await this.fn(rdd, time);
  }
}

DStream.prototype.foreachRDD = function <T>(
  this: DStream<T>,
  fn: (rdd: RDD<T>, time: number) => void | Promise<void>,
): void {
  requireFunction(fn, 'foreachRDD');
  new ForEachDStream(this, fn);
};
