import { definePipeline } from '../../lib';

/**
 * NetworkWordCount, serverless: lines from the pipeline's Kinesis stream, counted per one-second
 * batch, printed (pprint) to the function log and saved to the output bucket.
 */
export default definePipeline({ name: 'network-wordcount', batchInterval: 1 }, (ssc) => {
  const lines = ssc.kinesisTextStream();
  const words = lines.flatMap((line) => line.split(' ')).filter((w) => w.length > 0);
  const wordCounts = words.map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);
  wordCounts.pprint();
  const bucket = process.env.DSTREAM_BUCKET;
  if (bucket) wordCounts.saveAsTextFiles(`s3://${bucket}/wordcounts/counts`, 'txt');
});
