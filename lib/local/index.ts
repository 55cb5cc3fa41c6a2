/**
 * Local emulation: embedded emulators, the producer, and the poller that plays Lambda's Kinesis
 * event source mapping. Nothing here runs in Lambda.
 */
export * from './clients';
export { startEmulators, ensureStream, ensureBucket } from './emulators';
export type { Emulators, EmulatorOptions, EmulatedService, StreamInfo } from './emulators';
export { produce, PUT_RECORDS_LIMITS } from './producer';
export type { ProduceOptions, ProduceResult, ProduceProgress, PutRecordsClient } from './producer';
export { KinesisPoller } from './poller';
export type { KinesisPollerOptions, BatchStats, FailedBatch, KinesisHandlerFn } from './poller';
export { toKinesisStreamRecord } from './kinesis-record';
export type { ShardRecord, EventSourceInfo } from './kinesis-record';
export { parseBatchResponse } from './batch-response';
export type { BatchOutcome } from './batch-response';
export { compareSequenceNumbers, isSequenceNumber } from './sequence';
export {
  EmulatorError,
  ProducerError,
  RecordTooLargeError,
  PollerConfigError,
  PollerError,
  PollerTimeoutError,
  UiServerError,
} from './errors';
export { startLocalRun, localNames, formatStatusLine } from './runner';
export type { LocalRun, LocalRunOptions, LocalUiOptions, LocalEndpoints } from './runner';
export { StreamingMonitor } from './ui/monitor';
export type { StreamingMonitorOptions, MonitorChange, ShardReadInfo } from './ui/monitor';
export { startUiServer, listenWithFallback, DEFAULT_UI_PORT } from './ui/server';
export type { UiServer, UiServerOptions } from './ui/server';
export { pollInspections } from './ui/inspection-poller';
export type { InspectionPoller, InspectionPollerOptions, InspectionSource } from './ui/inspection-poller';
export type * from './ui/types';
