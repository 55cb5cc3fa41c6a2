/** Lambda-facing entry points (STYLE: thin handler factories). */
export { kinesisHandler, closerHandler, engineFor } from './handlers';
export type { HandlerOptions } from './handlers';
export { PowertoolsEngineMetrics, InMemoryEngineMetrics } from './metrics';
