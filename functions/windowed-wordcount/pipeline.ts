import { definePipeline } from '../../lib';

/**
 * Windowed word count: counts over the last 30 s, every 10 s (reduceByKeyAndWindow with an inverse
 * function, keys back at zero dropped), plus running totals since the start (updateStateByKey).
 * Results go to S3 and to CloudWatch (words per window, distinct words in the totals). The stateful
 * streams are named, so their state survives changes around them (docs/IDENTITY.md).
 */
export default definePipeline({ name: 'windowed-wordcount', batchInterval: 2 }, (ssc) => {
  const words = ssc
    .kinesisTextStream()
    .flatMap((line) => line.split(' '))
    .filter((w) => w.length > 0);
  const pairs = words.map((w) => [w, 1] as [string, number]);
  const windowed = pairs
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      30,
      10,
      ([, n]) => n > 0,
    )
    .named('last30s');
  const totals = pairs
    .updateStateByKey((values: number[], total: number | undefined) =>
      values.reduce((a, b) => a + b, total ?? 0),
    )
    .named('totals');
  windowed.pprint();
  const bucket = process.env.DSTREAM_BUCKET;
  if (bucket) {
    windowed.saveAsTextFiles(`s3://${bucket}/windowed/last30s`, 'txt');
    totals.saveAsTextFiles(`s3://${bucket}/windowed/totals`, 'txt');
  }
  const dims = { Pipeline: 'windowed-wordcount' };
  windowed.toCloudWatch('WindowedWordCount', 'WordsInWindow', ([, n]) => n, { dimensions: dims });
  totals.count().toCloudWatch('WindowedWordCount', 'DistinctWords', undefined, { dimensions: dims });
});
