import type { BatchCompletedInfo, MapPhaseInfo } from '../../../lib';
import type { PipelineInspection } from '../../../lib/engine/serverless';
import { StreamingMonitor, type MonitorChange } from '../../../lib/local/ui/monitor';

const T0 = 1_700_000_000_000;
const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';

function mapPhase(
  shardId: string,
  batches: [number, number][],
  extra: Partial<MapPhaseInfo> = {},
): MapPhaseInfo {
  const records = batches.reduce((n, [, r]) => n + r, 0);
  return {
    shardId,
    records,
    duplicates: 0,
    late: 0,
    decodeErrors: 0,
    failed: false,
    batches: batches.map(([batchTime, r]) => ({ batchTime, records: r })),
    startedAt: T0 + 100,
    durationMs: 5,
    ...extra,
  };
}

function completed(batchTime: number, extra: Partial<BatchCompletedInfo> = {}): BatchCompletedInfo {
  return {
    batchTime,
    owner: 'closer-a',
    records: 5,
    late: 1,
    shards: [
      { shardId: S0, partials: 2, records: 3, late: 1 },
      { shardId: S1, partials: 1, records: 2, late: 0 },
    ],
    startedAt: batchTime + 300,
    completedAt: batchTime + 340,
    schedulingDelayMs: 300,
    processingTimeMs: 40,
    totalDelayMs: 340,
    outputs: [
      { kind: 'pprint', elements: 4 },
      { kind: 'foreachRDD', elements: undefined },
    ],
    ...extra,
  };
}

function inspection(extra: Partial<PipelineInspection> = {}): PipelineInspection {
  return {
    pipeline: 'p',
    batchInterval: 1,
    progress: { next: T0 + 2000, zero: T0, closedUpTo: T0 + 1000 },
    shards: [
      {
        shardId: S0,
        checkpoint: '49600000000000000000000000000000000000000000000000000001',
        watermark: T0 + 900,
        updatedAt: T0 + 950,
      },
    ],
    closes: [],
    openBatches: [],
    history: [],
    ...extra,
  };
}

describe('StreamingMonitor (the local run listener behind the status line and the UI)', () => {
  test('map phases fill an active batch per shard; the close makes it completed with its timings and outputs', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 2, now: () => T0 });
    m.onMapPhaseCompleted(mapPhase(S1, [[T0 + 2000, 4]]));
    m.onMapPhaseCompleted(
      mapPhase(S0, [
        [T0 + 2000, 2],
        [T0 + 4000, 1],
      ]),
    );
    m.onMapPhaseCompleted(mapPhase(S0, [[T0 + 2000, 1]]));
    expect(m.batch(T0 + 2000)).toEqual({
      batchTime: T0 + 2000,
      status: 'receiving',
      records: 7,
      late: 0,
      inputRate: 3.5,
      shards: [
        { shardId: S0, records: 3, mapPhases: 2 },
        { shardId: S1, records: 4, mapPhases: 1 },
      ],
      firstRecordAt: T0 + 100,
      failures: [],
    });

    m.onBatchStarted({
      batchTime: T0 + 2000,
      owner: 'closer-a',
      startedAt: T0 + 2300,
      schedulingDelayMs: 300,
    });
    expect(m.batch(T0 + 2000)).toMatchObject({
      status: 'processing',
      owner: 'closer-a',
      schedulingDelayMs: 300,
    });

    m.onBatchCompleted(completed(T0 + 2000, { records: 7 }));
    expect(m.batch(T0 + 2000)).toMatchObject({
      status: 'completed',
      records: 7,
      late: 1,
      inputRate: 3.5,
      shards: [
        { shardId: S0, partials: 2, records: 3, late: 1, mapPhases: 2 },
        { shardId: S1, partials: 1, records: 2, late: 0, mapPhases: 1 },
      ],
      startedAt: T0 + 2300,
      completedAt: T0 + 2340,
      processingTimeMs: 40,
      totalDelayMs: 340,
      outputs: [
        { kind: 'pprint', elements: 4 },
        { kind: 'foreachRDD', elements: null },
      ],
    });
    expect(m.batch(T0 + 4000)?.status).toBe('receiving');
    expect(m.totals()).toMatchObject({ recordsIn: 8, mapPhases: 3, batchesCompleted: 1 });
  });

  test('a map phase after the close does not change the completed batch', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1 });
    m.onBatchCompleted(completed(T0 + 1000));
    m.onMapPhaseCompleted(mapPhase(S0, [[T0 + 1000, 9]]));
    expect(m.batch(T0 + 1000)).toMatchObject({ status: 'completed', records: 5 });
    expect(m.totals().recordsIn).toBe(9);
  });

  test('a failed close marks the batch failed with the error, until a retry completes it', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1, now: () => T0 + 5000 });
    m.onBatchStarted({
      batchTime: T0 + 1000,
      owner: 'closer-a',
      startedAt: T0 + 1200,
      schedulingDelayMs: 200,
    });
    m.onBatchFailed({ batchTime: T0 + 1000, owner: 'closer-a', error: 'Error: boom' });
    expect(m.batch(T0 + 1000)).toMatchObject({
      status: 'failed',
      failures: [{ owner: 'closer-a', error: 'Error: boom', at: T0 + 5000 }],
    });
    m.onBatchCompleted(completed(T0 + 1000));
    expect(m.batch(T0 + 1000)).toMatchObject({ status: 'completed', failures: [{ error: 'Error: boom' }] });
    expect(m.totals().closeFailures).toBe(1);
  });

  test('totals: late, decode errors and failed map phases from events; the engine metrics win where given', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1 });
    m.onMapPhaseCompleted(
      mapPhase(S0, [[T0 + 1000, 3]], { late: 2, decodeErrors: 1, duplicates: 4, failed: true }),
    );
    expect(m.totals()).toEqual({
      recordsIn: 3,
      duplicates: 4,
      late: 2,
      decodeErrors: 1,
      userFunctionErrors: 1,
      failedRecords: 0,
      mapPhases: 1,
      batchesCompleted: 0,
      closeFailures: 0,
    });
    const withMetrics = new StreamingMonitor({
      pipeline: 'p',
      batchInterval: 1,
      metrics: { totals: { UserFunctionErrors: 3, FailedRecords: 7 } },
    });
    expect(withMetrics.totals()).toMatchObject({ userFunctionErrors: 3, failedRecords: 7 });
  });

  test('keeps the newest completed batches only (retainedBatches), and says which it dropped', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1, retainedBatches: 3 });
    const dropped: number[] = [];
    m.subscribe((c) => c.kind === 'dropped' && dropped.push(c.batchTime));
    m.onMapPhaseCompleted(mapPhase(S0, [[T0 + 9000, 1]])); // an active batch is kept over old completed ones
    for (let i = 1; i <= 4; i++) m.onBatchCompleted(completed(T0 + i * 1000));
    expect(m.snapshot().batches.map((b) => b.batchTime)).toEqual([T0 + 3000, T0 + 4000, T0 + 9000]);
    expect(dropped).toEqual([T0 + 1000, T0 + 2000]);
  });

  test('iterator age per shard from its reads; reads closer than 250 ms make one point with the larger age', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1 });
    const lag: MonitorChange[] = [];
    m.subscribe((c) => c.kind === 'lag' && lag.push(c));
    m.onShardRead(S0, { lastArrivalMs: T0, at: T0 + 40 });
    m.onShardRead(S0, { lastArrivalMs: T0 + 50, at: T0 + 140 });
    m.onShardRead(S0, { lastArrivalMs: T0 + 400, at: T0 + 420 });
    expect(m.shards()).toEqual([{ shardId: S0, records: 0, iteratorAgeMs: 20, lastReadAt: T0 + 420 }]);
    expect(m.snapshot().lag).toEqual([
      {
        shardId: S0,
        points: [
          { t: T0 + 40, v: 90 },
          { t: T0 + 420, v: 20 },
        ],
      },
    ]);
    // Each point as it was made, then the larger age of the merged read: the UI replaces by time.
    expect(lag.map((c) => c.kind === 'lag' && c.point)).toEqual([
      { t: T0 + 40, v: 40 },
      { t: T0 + 40, v: 90 },
      { t: T0 + 420, v: 20 },
    ]);
  });

  test('inspections give shard positions, progress and state size over batch time (bytes when the engine reports them)', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1 });
    // An engine that does not report bytes (the monitor also reads older inspections).
    const history = (batchTime: number, size: number, bytes?: number) =>
      ({
        stream: 'updateStateByKey',
        batchTime,
        size,
        sample: [],
        ...(bytes === undefined ? {} : { bytes }),
      }) as PipelineInspection['history'][number];
    m.onInspection(inspection({ history: [history(T0 + 1000, 10)] }), T0 + 1500);
    m.onInspection(inspection({ history: [history(T0 + 1000, 10)] }), T0 + 1700); // same batch: one point
    m.onInspection(inspection({ history: [history(T0 + 2000, 12, 2048)] }), T0 + 2500);
    expect(m.state()).toEqual([
      {
        stream: 'updateStateByKey',
        keys: [
          { t: T0 + 1000, v: 10 },
          { t: T0 + 2000, v: 12 },
        ],
        bytes: [{ t: T0 + 2000, v: 2048 }],
      },
    ]);
    expect(m.shards()).toEqual([
      {
        shardId: S0,
        records: 0,
        checkpoint: '49600000000000000000000000000000000000000000000000000001',
        watermark: T0 + 900,
      },
    ]);
    expect(m.inspection()).toEqual({
      progress: { next: T0 + 2000, zero: T0, closedUpTo: T0 + 1000 },
      inspectedAt: T0 + 2500,
    });
  });

  test('a failing subscriber is logged and never reaches the engine; the others still hear every change', () => {
    const logged: string[] = [];
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1, log: (s) => logged.push(s) });
    const seen: string[] = [];
    m.subscribe(() => {
      throw new Error('broken pipe');
    });
    m.subscribe((c) => seen.push(c.kind));
    expect(() => m.onBatchCompleted(completed(T0 + 1000))).not.toThrow();
    expect(seen).toEqual(['batch', 'completed', 'totals']);
    expect(logged[0]).toMatch(/subscriber failed on a 'batch' change: Error: broken pipe/);
  });

  test('a snapshot is a copy: changing it changes nothing in the monitor', () => {
    const m = new StreamingMonitor({ pipeline: 'p', batchInterval: 1 });
    m.onMapPhaseCompleted(mapPhase(S0, [[T0 + 1000, 2]]));
    const snap = m.snapshot();
    snap.batches[0].shards[0].records = 99;
    expect(m.batch(T0 + 1000)?.shards[0].records).toBe(2);
    expect(snap).toMatchObject({ pipeline: 'p', batchInterval: 1, totals: { recordsIn: 2 } });
  });

  test('refuses a batch interval that is not a positive number, naming it', () => {
    expect(() => new StreamingMonitor({ pipeline: 'p', batchInterval: 0 })).toThrow(
      /batchInterval must be a positive number of seconds, got 0/,
    );
  });
});
