/**
 * Reads the engine's view of the store (`inspect()`: shard checkpoints and watermarks, progress,
 * each history stream's size) at a modest rate and hands it to the monitor. One read at a time; the
 * pause after a read is at least five times its duration, so a large state never takes the run's
 * CPU from the pipeline.
 */
import type { PipelineInspection } from '../../engine/serverless';
import type { StreamingMonitor } from './monitor';

/** What the poller needs from the engine. */
export interface InspectionSource {
  inspect(options?: { closes?: number; openBatches?: number; entries?: number }): Promise<PipelineInspection>;
}

/** Options of {@link pollInspections}. */
export interface InspectionPollerOptions {
  /** Pause between reads, ms (longer when reads are slow). @default 2000 */
  intervalMs?: number;
  /** A failed read (the poller goes on); called once per distinct message in a row. */
  onError?: (err: Error) => void;
}

/** A running inspection poller. */
export interface InspectionPoller {
  /** Reads now (waits for a read in progress first). */
  pollNow(): Promise<void>;
  /** Stops polling; resolves when no read is in progress. */
  stop(): Promise<void>;
}

/**
 * Feeds `monitor.onInspection` from `source.inspect()` every `intervalMs`, starting at once.
 * @example const poller = pollInspections(engine, monitor); ... await poller.stop();
 */
export function pollInspections(
  source: InspectionSource,
  monitor: Pick<StreamingMonitor, 'onInspection'>,
  options: InspectionPollerOptions = {},
): InspectionPoller {
  const intervalMs = options.intervalMs ?? 2000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Reads are chained: never two at once.
  let current: Promise<unknown> = Promise.resolve();
  let lastError: string | undefined;

  const readOnce = async (): Promise<number> => {
    const started = Date.now();
    try {
      // Only what the UI shows: no close list, no open batches' partials, no state samples.
      const inspection = await source.inspect({ closes: 1, openBatches: 0, entries: 0 });
      if (!stopped) monitor.onInspection(inspection);
      lastError = undefined;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (!stopped && err.message !== lastError) options.onError?.(err);
      lastError = err.message;
    }
    return Date.now() - started;
  };
  const read = (): Promise<number> => {
    const next = current.then(readOnce);
    current = next;
    return next;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => void read().then((took) => schedule(Math.max(intervalMs, 5 * took))), delay);
    timer.unref?.();
  };
  schedule(0);

  return {
    async pollNow() {
      if (!stopped) await read();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
