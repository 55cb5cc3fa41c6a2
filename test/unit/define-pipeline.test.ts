import { definePipeline, InvalidPipelineError } from '../../lib';

/** definePipeline runs the definition once, so invalid pipelines fail at load with Spark's messages. */
describe('definePipeline validates the definition when it is defined', () => {
  test.each<[string, Parameters<typeof definePipeline>[1], string]>([
    [
      'a window that is not a multiple of the batch interval',
      (ssc) => ssc.kinesisTextStream().window(1.5, 1).pprint(),
      "pipeline 'bad' is invalid: window duration (1.5 s) must be a multiple of the batch interval of its parent stream (1 s).",
    ],
    [
      'a slide that is not a multiple of the batch interval',
      (ssc) => ssc.kinesisTextStream().countByWindow(4, 2.5).pprint(),
      "pipeline 'bad' is invalid: slide duration (2.5 s) must be a multiple",
    ],
    [
      'no output operation',
      (ssc) => void ssc.kinesisTextStream().map((l) => l.length),
      "pipeline 'bad' is invalid: No output operations registered, so nothing to execute: add pprint(), saveAsTextFiles(), foreachRDD() or collect() before ssc.start().",
    ],
    [
      'no Kinesis source',
      (ssc) => ssc.queueStream([['a']]).pprint(),
      "pipeline 'bad' is invalid: it reads no Kinesis stream: use ssc.kinesisTextStream() or ssc.kinesisStream(decode) in its definition.",
    ],
    [
      'a definition that throws',
      () => {
        throw new Error('DSTREAM_TOPIC is not set');
      },
      "pipeline 'bad' is invalid: DSTREAM_TOPIC is not set",
    ],
  ])('refuses %s', (_case, define, message) => {
    let error: unknown;
    try {
      definePipeline({ name: 'bad', batchInterval: 1 }, define);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPipelineError);
    expect((error as Error).message).toContain(message);
  });

  test('accepts a valid pipeline, runs no batch, and leaves it to run on any engine', () => {
    let defined = 0;
    const batches: number[] = [];
    const p = definePipeline({ name: 'ok', batchInterval: 2 }, (ssc) => {
      defined++;
      const words = ssc.kinesisTextStream().flatMap((l) => l.split(' '));
      words.countByValueAndWindow(6, 4).foreachRDD((_, t) => void batches.push(t));
      if (process.env.DSTREAM_BUCKET) words.saveAsTextFiles(`s3://${process.env.DSTREAM_BUCKET}/w`);
    });
    expect(defined).toBe(1);
    expect(batches).toEqual([]);
    expect(p.options).toEqual({ name: 'ok', batchInterval: 2, allowedLateness: 3, retention: 3600 });
  });
});
