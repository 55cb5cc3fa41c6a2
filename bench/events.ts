import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { definePipeline, type Pipeline } from '../lib';

/**
 * A Kinesis event as Lambda delivers it: base64 data, arrival time in seconds, one shard; sequence
 * numbers count up from `firstSeq` + 1.
 */
export function kinesisEvent(
  lines: string[],
  arrivalMs: number,
  shardId = 'shardId-000000000000',
  firstSeq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n,
): KinesisStreamEvent {
  let seq = firstSeq;
  const Records: KinesisStreamRecord[] = lines.map((line, i) => {
    seq += 1n;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: `pk-${i}`,
        sequenceNumber: seq.toString(),
        data: Buffer.from(line, 'utf8').toString('base64'),
        approximateArrivalTimestamp: (arrivalMs + (i % 500)) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/bench',
    };
  });
  return { Records };
}

/** The word count the handler benchmarks run: flatMap(split), map([w, 1]), reduceByKey(+), an output. */
export function wordCountPipeline(name: string): Pipeline {
  return definePipeline({ name, batchInterval: 1 }, (ssc) => {
    ssc
      .kinesisTextStream()
      .flatMap((l) => l.split(' '))
      .map((w) => [w, 1] as [string, number])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(() => undefined);
  });
}
