import type { KinesisStreamEvent } from 'aws-lambda';
import { definePipeline } from '../../lib';
import type { BatchCompletedInfo, RuntimeLog } from '../../lib/runtime';
import {
  CLOSER_HANDOFF_MARGIN_MS,
  CLOSER_TIMEOUT_MARGIN_MS,
  closerDeadline,
  closerHandler,
  kinesisHandler,
  nextReadyTime,
} from '../../lib/runtime';
import { InMemoryStateStore } from '../../lib/state/in-memory-store';
import { makeKinesisEvent } from '../helpers/kinesis';

/**
 * The scheduled closer on AWS (an EventBridge rule every minute): each invocation keeps closing
 * until shortly before the next one, so an idle batch closes within its lateness plus one
 * interval, and invocations never overlap. Simulated clock: sleeps advance it, and records are
 * delivered to the map-phase handler when the clock passes their time.
 */

const T0 = 1_700_000_040_000; // a whole minute
const MINUTE = 60_000;
const INTERVAL = 1000;
const LATENESS = 2000;
const CLOSER_TIMEOUT = 2 * MINUTE; // what the construct gives a closer on a 1-minute schedule

/** A silent log, keeping what was logged. */
function memoryLog(): RuntimeLog & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (message) => void lines.push({ level: 'info', message }),
    warn: (message) => void lines.push({ level: 'warn', message }),
    error: (message) => void lines.push({ level: 'error', message }),
  };
}

/** A pipeline counting lines per batch, deployed as its two Lambdas over one store, on a simulated clock. */
function simulation(failOnce?: number) {
  const counts = new Map<number, number>();
  let failed = false;
  const pipeline = definePipeline(
    { name: 'idle', batchInterval: INTERVAL / 1000, allowedLateness: LATENESS / 1000 },
    (ssc) =>
      ssc
        .kinesisTextStream()
        .count()
        .foreachRDD((rdd, t) => {
          if (t === failOnce && !failed) {
            failed = true;
            throw new Error(`output of ${t} failed once`);
          }
          counts.set(t, rdd.collect()[0] ?? 0);
        }),
  );
  const clock = { ms: T0 };
  const deliveries: { at: number; event: KinesisStreamEvent }[] = [];
  const completed: BatchCompletedInfo[] = [];
  const log = memoryLog();
  const options = {
    store: new InMemoryStateStore({ now: () => clock.ms }),
    now: () => clock.ms,
    metrics: false as const,
    log,
    listeners: [{ onBatchCompleted: (b: BatchCompletedInfo) => void completed.push(b) }],
    closerScheduleMs: MINUTE,
  };
  const handler = kinesisHandler(pipeline, options);
  /** Advances the clock to `until`, invoking the handler with the records that arrive meanwhile. */
  const advance = async (until: number) => {
    deliveries.sort((a, b) => a.at - b.at);
    while (deliveries.length > 0 && deliveries[0].at <= until) {
      const d = deliveries.shift()!;
      clock.ms = Math.max(clock.ms, d.at);
      await handler(d.event);
    }
    clock.ms = Math.max(clock.ms, until);
  };
  const closer = closerHandler(pipeline, { ...options, sleep: (ms) => advance(clock.ms + ms) });
  return { counts, clock, deliveries, completed, log, advance, closer };
}

describe('closerHandler on a one-minute schedule', () => {
  test('an idle batch closes within its lateness plus one interval; runs end before the next one starts', async () => {
    const sim = simulation();
    // Records now and then (the map phase handler gets them when the clock passes), one just before
    // a scheduled run, then three minutes of silence.
    for (const at of [T0 + 300, T0 + 12_700, T0 + 59_100, T0 + 59_900, T0 + 61_500, T0 + 130_450]) {
      sim.deliveries.push({
        at: at + 50,
        event: makeKinesisEvent([{ data: `line at ${at}`, arrivalMs: at }], {
          firstSequence: BigInt(at) * 1000n,
        }),
      });
    }
    const runs: { scheduled: number; started: number; ended: number; closed: number }[] = [];
    for (let k = 0; k < 5; k++) {
      const scheduled = T0 + k * MINUTE;
      // EventBridge delivers a scheduled event a little after its time.
      await sim.advance(scheduled + 250);
      const started = sim.clock.ms;
      const context = { getRemainingTimeInMillis: () => started + CLOSER_TIMEOUT - sim.clock.ms };
      const event = { 'detail-type': 'Scheduled Event', time: new Date(scheduled).toISOString() };
      const { closed } = await sim.closer(event, context);
      runs.push({ scheduled, started, ended: sim.clock.ms, closed: closed.length });
    }

    // No overlap: each run stopped before the next was due, well within its timeout.
    for (const r of runs) {
      expect(r.ended).toBeLessThanOrEqual(r.scheduled + MINUTE - CLOSER_HANDOFF_MARGIN_MS);
      expect(r.ended - r.started).toBeLessThan(CLOSER_TIMEOUT - CLOSER_TIMEOUT_MARGIN_MS);
    }
    // Every batch from the first record's on closed, in order, each within lateness + one interval
    // of its end, through the silence too (Spark's empty batches).
    const times = sim.completed.map((b) => b.batchTime);
    expect(times[0]).toBe(T0 + 1000);
    expect(times).toEqual(times.map((_, i) => T0 + 1000 + i * INTERVAL));
    expect(times[times.length - 1]).toBeGreaterThan(T0 + 4 * MINUTE);
    const delays = sim.completed.map((b) => b.completedAt - b.batchTime);
    expect(Math.max(...delays)).toBeLessThanOrEqual(LATENESS + INTERVAL);
    // Within a run, a batch closes when its lateness passes; only those that became ready in the
    // handoff between two runs wait for the next run's start (EventBridge's delivery delay).
    const waited = sim.completed.filter((b) => b.completedAt - b.batchTime > LATENESS);
    expect(waited.length).toBeGreaterThan(0);
    for (const b of waited) expect(runs.map((r) => r.started)).toContain(b.completedAt);
    expect([...sim.counts.values()].reduce((a, b) => a + b, 0)).toBe(6);
    expect(sim.counts.get(T0 + 60_000)).toBe(2);
    console.log(
      `closer on a 1-minute schedule: ${times.length} batches closed, delay after the batch end at most ${Math.max(...delays)} ms ` +
        `(lateness ${LATENESS} + interval ${INTERVAL}); runs ended ${runs.map((r) => r.scheduled + MINUTE - r.ended).join(', ')} ms before the next`,
    );
  });

  test('a failed round is logged and retried by the next round; without a Lambda context one round only', async () => {
    const sim = simulation(T0 + 1000);
    sim.deliveries.push({ at: T0 + 100, event: makeKinesisEvent([{ data: 'x', arrivalMs: T0 + 100 }]) });
    await sim.advance(T0 + 150);
    sim.clock.ms = T0 + 3000; // batch T0+1 s is ready by its lateness
    await expect(sim.closer()).rejects.toThrow('output of 1700000041000 failed once');
    expect(sim.completed).toEqual([]);

    const started = sim.clock.ms;
    const context = { getRemainingTimeInMillis: () => started + 20_000 - sim.clock.ms };
    const { closed } = await sim.closer({}, context);
    // No schedule time in the event: it runs until its timeout's margin, closing each interval.
    expect(closed[0]).toBe(T0 + 1000);
    expect(sim.clock.ms).toBeLessThanOrEqual(started + 20_000 - CLOSER_TIMEOUT_MARGIN_MS);
    expect(sim.counts.get(T0 + 1000)).toBe(1);
    expect(sim.log.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      'batch close failed; it will be retried',
      'batch close failed; will retry',
    ]);
  });
});

describe('closer timing', () => {
  test('nextReadyTime: the next batch end plus lateness after now', () => {
    expect(nextReadyTime(T0, 1000, 2000)).toBe(T0 + 1000);
    expect(nextReadyTime(T0 + 999, 1000, 2000)).toBe(T0 + 1000);
    expect(nextReadyTime(T0 + 1000, 1000, 2500)).toBe(T0 + 1500);
    expect(nextReadyTime(T0 + 1, 10_000, 0)).toBe(T0 + 10_000);
  });

  test('closerDeadline: before the next scheduled run, before the timeout, none without a context', () => {
    const context = (remaining: number) => ({ getRemainingTimeInMillis: () => remaining });
    const event = { time: new Date(T0).toISOString() };
    expect(closerDeadline(event, undefined, T0 + 300, MINUTE)).toBeUndefined();
    expect(closerDeadline(event, context(120_000), T0 + 300, MINUTE)).toBe(
      T0 + MINUTE - CLOSER_HANDOFF_MARGIN_MS,
    );
    expect(closerDeadline(event, context(30_000), T0 + 300, MINUTE)).toBe(
      T0 + 300 + 30_000 - CLOSER_TIMEOUT_MARGIN_MS,
    );
    // An event older than the period (delivered late, or not a schedule): counted from the start.
    expect(closerDeadline({ time: 'yesterday' }, context(120_000), T0 + 300, MINUTE)).toBe(
      T0 + 300 + MINUTE - CLOSER_HANDOFF_MARGIN_MS,
    );
    expect(closerDeadline(event, context(120_000), T0 + 300, undefined)).toBe(
      T0 + 300 + 120_000 - CLOSER_TIMEOUT_MARGIN_MS,
    );
  });
});
