import { DStream } from '../dstream/dstream';

/** A stream with no parents, fed by the engine or a receiver (Spark's InputDStream). */
export abstract class InputDStream<T> extends DStream<T> {
  get dependencies(): DStream<any>[] {
    return [];
  }

  override get slideDuration(): number {
    return this.ssc.batchIntervalMs;
  }
}
