// The `dstream state` tests' pipeline changed incompatibly: 'totals' is now a window.
import { definePipeline } from '../../../lib';

export default definePipeline({ name: 'state-cli', batchInterval: 1, allowedLateness: 0 }, (ssc) =>
  ssc
    .kinesisTextStream()
    .flatMap((l) => l.split(' '))
    .map((w) => [w, 1] as [string, number])
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      10,
    )
    .named('totals')
    .foreachRDD(() => undefined),
);
