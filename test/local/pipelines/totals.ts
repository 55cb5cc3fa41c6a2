// A pipeline for the `dstream state` tests: running word totals, named 'totals'.
import { definePipeline } from '../../../lib';

export default definePipeline({ name: 'state-cli', batchInterval: 1, allowedLateness: 0 }, (ssc) =>
  ssc
    .kinesisTextStream()
    .flatMap((l) => l.split(' '))
    .map((w) => [w, 1] as [string, number])
    .updateStateByKey((vs: number[], s?: number) => (s ?? 0) + vs.length)
    .named('totals')
    .foreachRDD(() => undefined),
);
