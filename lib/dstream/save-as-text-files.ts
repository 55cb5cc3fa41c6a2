import { DStream } from './dstream';
import { ForEachDStream } from './foreach-rdd';
import { batchFileName, writeTextFile } from '../sinks/text-files';
import { pythonStr } from '../sinks/pprint-format';

declare module './dstream' {
  interface DStream<T> {
    /**
     * An output operation writing every batch to `prefix-<batch time ms>[.suffix]`, one element per
     * line (formatted as PySpark's `str`): a local file, or an S3 object when the prefix is
     * `s3://bucket/path`. A re-run of a batch overwrites the same file.
     * @example wordCounts.saveAsTextFiles('s3://results/wordcounts', 'txt')
     */
    saveAsTextFiles(prefix: string, suffix?: string): void;
  }
}

DStream.prototype.saveAsTextFiles = function <T>(this: DStream<T>, prefix: string, suffix?: string): void {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new Error(
      'saveAsTextFiles(prefix, suffix?) needs a non-empty prefix, e.g. "out/counts" or "s3://bucket/counts".',
    );
  }
  new ForEachDStream(
    this,
    async (rdd, time) => {
      const lines = rdd.collect().map(pythonStr);
      await writeTextFile(batchFileName(prefix, time, suffix), lines.length ? lines.join('\n') + '\n' : '');
    },
    'saveAsTextFiles',
  );
};
