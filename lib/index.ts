/**
 * dstream-serverless: Spark Streaming's DStream API in TypeScript.
 * Durations are seconds; batch times are epoch milliseconds; pairs are `[key, value]` tuples.
 */
import './dstream/operators';

export { StreamingContext } from './dstream/context';
export type { StreamingContextOptions } from './dstream/context';
export { DStream } from './dstream/dstream';
export { RDD } from './dstream/rdd';
export { MissingBatchError, ForgottenBatchError, NotInitializedError } from './dstream/errors';
export type { RDDsOf } from './dstream/transform';
export { StateSpec } from './dstream/map-with-state';
export type { State, MapWithStateDStream, MappingFunction } from './dstream/map-with-state';
export type { CollectSink } from './dstream/collect';
export { InvalidStreamNameError } from './dstream/named';
export type { NamedOptions } from './dstream/named';
export type { ReduceByKeyAndWindowOptions } from './dstream/reduce-by-key-and-window';
export type {
  UpdateStateByKeyOptions,
  UpdateStateByKeySpec,
  UpdateStateByKeyFunctionSpec,
  UpdateStateByKeyIteratorSpec,
} from './dstream/update-state-by-key';
export { setPprintWriter } from './dstream/pprint';
export type { PprintWriter } from './dstream/pprint';
export {
  formatPprint,
  formatBatchTime,
  pythonRepr,
  pythonStr,
  pythonFloatRepr,
  pythonNumberRepr,
  pythonStringRepr,
} from './sinks/pprint-format';
export type { QueueInputDStream } from './sources/queue';
export type { SocketInputDStream } from './sources/socket';
export type { TextFileInputDStream } from './sources/text-file';
export { definePipeline, InvalidPipelineError } from './engine/pipeline';
export type { Pipeline, PipelineOptions } from './engine/pipeline';
export {
  ServerlessEngine,
  MissingHistoryError,
  IncompatibleStateError,
  MapStageChangedError,
  StateTransferError,
} from './engine/serverless';
export type {
  EngineMetrics,
  EngineMetricName,
  MapPhaseResult,
  ServerlessEngineOptions,
  StateProblem,
  StateLine,
  StreamTransfer,
} from './engine/serverless';
export type {
  EngineListener,
  MapPhaseInfo,
  BatchStartedInfo,
  BatchCompletedInfo,
  BatchFailedInfo,
  BatchShardInfo,
} from './engine/listener';
export { KinesisInputDStream, RecordDecodeError, decodeLines } from './sources/kinesis';
export type { KinesisInputRecord } from './sources/kinesis';
export { deaggregate, aggregate, isAggregated } from './sources/kpl';
export type { UserRecord } from './sources/kpl';
export type { ToCloudWatchOptions } from './dstream/to-cloudwatch';
export { setMetricEmitter } from './sinks/cloudwatch';
export type { MetricDatapoint, MetricEmitter } from './sinks/cloudwatch';
export type { StateStore, StoreItem, StoreStats, Condition } from './state/types';
export { runPipelineInMemory } from './engine/in-memory';
export type { InMemoryRunOptions } from './engine/in-memory';
