import { DStream } from './dstream';
import { ForEachDStream } from './foreach-rdd';
import { formatPprint } from '../sinks/pprint-format';

/** Where pprint writes; the default is stdout (the function log in Lambda). */
export type PprintWriter = (text: string) => void;

let writer: PprintWriter = (text) => process.stdout.write(text);

/** Redirects every pprint output (tests, the local runner). Returns the previous writer. */
export function setPprintWriter(w: PprintWriter): PprintWriter {
  const prev = writer;
  writer = w;
  return prev;
}

declare module './dstream' {
  interface DStream<T> {
    /**
     * An output operation printing the first `num` elements of every batch exactly as PySpark's
     * `pprint` does (a dashed header with the batch time, `...` when there are more).
     * @example wordCounts.pprint()
     */
    pprint(num?: number): void;
  }
}

DStream.prototype.pprint = function <T>(this: DStream<T>, num = 10): void {
  if (!Number.isInteger(num) || num < 0)
    throw new Error(`pprint(num) needs a whole number >= 0, got ${String(num)}.`);
  new ForEachDStream(this, (rdd, time) => writer(formatPprint(time, rdd.take(num + 1), num)), 'pprint');
};
