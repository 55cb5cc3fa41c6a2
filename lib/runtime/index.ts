/** Lambda-facing entry points (STYLE: thin handler factories). */
export {
  kinesisHandler,
  closerHandler,
  engineFor,
  closerDeadline,
  nextReadyTime,
  CLOSER_TIMEOUT_MARGIN_MS,
  CLOSER_HANDOFF_MARGIN_MS,
} from './handlers';
export type { HandlerOptions } from './handlers';
export { PowertoolsEngineMetrics, InMemoryEngineMetrics } from './metrics';
export { PowertoolsRuntimeLog, ConsoleRuntimeLog, defaultRuntimeLog } from './logger';
export type { RuntimeLog } from './logger';
export type { BatchCompletedInfo, EngineListener } from '../engine/listener';
