/**
 * The map phase: one Lambda invocation's records of one shard become one committed
 * entry of the shard log. Reads the shard's head hint, applies the records after it, and commits
 * the entry at the head's position with a put-if-absent; if another attempt committed there first
 * (a late write of a timed-out invocation, a concurrent retry), it reads the log's true head and
 * applies only what is still new. Then it moves the head hint forward.
 *
 * Faults: a crash before the commit leaves nothing (Lambda re-delivers); a crash after it, or an
 * error returned for a commit that applied, makes the retry find the entry and drop its records; a
 * crash before the head write leaves the hint behind, which costs the next invocation one more read.
 * Nothing here decides batches: closers assign committed entries to batches (batch-content.ts).
 */
import { batchTimeOf } from '../../plan/time';
import type { KinesisInputRecord } from '../../sources/kinesis';
import { applyRecords, type Applied } from './apply-records';
import type { EngineContext } from './context';
import { MapPhaseInputError } from './errors';
import type { MapStage } from './map-stage';
import { ZERO_POSITION, describePosition, shardKeyOf, type Position } from './positions';
import { commitEntry, latestEntry, readHead, writeHead, type Entry, type EntryGroup } from './shard-log';
import type { MapPhaseResult } from './types';

/** Runs the map phase for one shard's records (in sequence order). Never throws for bad records. */
export async function runMapPhase(
  ctx: EngineContext,
  stage: MapStage,
  records: readonly KinesisInputRecord[],
): Promise<MapPhaseResult> {
  const result: MapPhaseResult = { processed: 0, duplicates: 0, decodeErrors: 0 };
  if (records.length === 0) return result;
  const startedAt = ctx.now();
  const { shardId, streamArn } = records[0];
  const shardKey = shardKeyOf(records[0]);
  for (const r of records) {
    if (shardKeyOf(r) !== shardKey)
      throw new MapPhaseInputError('mapPhase takes the records of one shard; group records by shard first.');
  }
  const head = await readHead(ctx, shardKey);
  let at: Position = head?.last ?? ZERO_POSITION;
  let watermark = head?.watermark ?? -Infinity;
  const firstOrigin = head?.firstOrigin;
  let applied: Applied;
  let entry: Entry | undefined;
  /** The newest entry known committed: the head hint must reach it (a crash may have left it behind). */
  let tip: Pick<Entry, 'last' | 'watermark' | 'minOrigin'> | undefined;
  if (!head) {
    // No hint: a new shard, or one whose hint expired (or was never written) while entries may
    // remain. The log continues from its true end; it starts at the beginning only when empty.
    const latest = await latestEntry(ctx, shardKey);
    if (latest) {
      tip = latest;
      at = latest.last;
      watermark = latest.watermark;
    }
  }
  // Each failed commit means another attempt committed at `at`: the next position is strictly later.
  for (;;) {
    delete result.failedSequenceNumber;
    delete result.failure;
    applied = applyPrefix(ctx, stage, records, at, result);
    if (applied.last === undefined) break; // nothing new (all re-deliveries), or the first record failed
    entry = entryOf(stage, shardKey, at, applied, Math.max(watermark, applied.maxArrival), ctx.intervalMs);
    if (await commitEntry(ctx, entry)) {
      tip = entry;
      break;
    }
    const latest = await latestEntry(ctx, shardKey);
    if (!latest || latest.last <= at) {
      throw new Error(
        `shard log of ${shardKey} changed under the map phase at ${describePosition(at)}; retrying`,
      );
    }
    tip = latest;
    at = latest.last;
    watermark = Math.max(watermark, latest.watermark);
    entry = undefined;
  }
  result.processed = entry ? applied.processed : 0;
  result.duplicates = records.length - result.processed - failedCount(records, result);
  result.decodeErrors = entry ? applied.decodeErrors : 0;
  if (entry) {
    for (const e of applied.decodeErrorList) {
      ctx.log('undecodable record skipped', {
        shardId: e.shardId,
        sequenceNumber: e.sequenceNumber,
        error: e.message,
      });
    }
  }
  if (tip && (!head || head.last < tip.last)) {
    await writeHead(ctx, {
      shardKey,
      shardId,
      streamArn,
      last: tip.last,
      watermark: tip.watermark,
      updatedAt: ctx.now(),
      firstOrigin: Math.min(firstOrigin ?? tip.minOrigin, tip.minOrigin),
    });
  }
  if (result.failedSequenceNumber) {
    ctx.metric('UserFunctionErrors', 1);
    ctx.metric('FailedRecords', failedCount(records, result));
  }
  ctx.notify('onMapPhaseCompleted', {
    shardId,
    records: result.processed,
    duplicates: result.duplicates,
    late: 0,
    decodeErrors: result.decodeErrors,
    failed: result.failedSequenceNumber !== undefined,
    batches: (entry?.groups ?? []).map((g) => ({ batchTime: g.origin, records: g.records })),
    startedAt,
    durationMs: ctx.now() - startedAt,
  });
  return result;
}

/**
 * Applies the records after `at`; if a user function throws on one, applies only the records before
 * it and notes the failure in `result`. Returns what was applied.
 */
function applyPrefix(
  ctx: EngineContext,
  stage: MapStage,
  records: readonly KinesisInputRecord[],
  at: Position,
  result: MapPhaseResult,
): Applied {
  let applied = applyRecords(stage, records, at, ctx.intervalMs);
  let prefix = records;
  while (applied.failedIndex !== undefined) {
    const failed = prefix[applied.failedIndex];
    result.failedSequenceNumber = failed.sequenceNumber;
    result.failure = applied.failure;
    ctx.log('user function failed on record; reporting it as a batch item failure', {
      shardId: failed.shardId,
      sequenceNumber: failed.sequenceNumber,
      error: String(applied.failure?.message ?? applied.failure),
    });
    // Functions are deterministic: the records before it apply again the same way. (One that fails
    // earlier this time is not: then stop there instead.) A KPL aggregate is one Kinesis record, so
    // the failure is reported at its sequence number and the retry skips the user records applied.
    prefix = prefix.slice(0, applied.failedIndex);
    applied = applyRecords(stage, prefix, at, ctx.intervalMs);
  }
  return applied;
}

/** Records after the failed one (including it): not applied, redelivered by Lambda. */
function failedCount(records: readonly KinesisInputRecord[], result: MapPhaseResult): number {
  if (!result.failedSequenceNumber) return 0;
  const i = records.findIndex((r) => r.sequenceNumber === result.failedSequenceNumber);
  return i < 0 ? 0 : records.length - i;
}

/** The entry for what was applied after position `at`. */
function entryOf(
  stage: MapStage,
  shardKey: string,
  at: Position,
  applied: Applied,
  watermark: number,
  intervalMs: number,
): Entry {
  const groups: EntryGroup[] = [];
  for (const g of applied.groups.values()) {
    const group: EntryGroup = { origin: g.origin, records: g.records, elements: {}, combined: {} };
    stage.frontiers.forEach((f, i) => {
      const shuffle = stage.combined.get(f.stream);
      if (shuffle) {
        const c = g.combiners[i];
        group.combined[stage.keys.get(shuffle) as string] = c ? c.map.toArray() : [];
      } else {
        group.elements[stage.keys.get(f.stream) as string] = g.elements[i];
      }
    });
    groups.push(group);
  }
  const origins = groups.map((g) => g.origin);
  // An entry of undecodable records only still belongs to a batch: the one its arrival gives.
  const fallback = batchTimeOf(watermark, intervalMs);
  return {
    shardKey,
    key: at,
    first: applied.first as Position,
    last: applied.last as Position,
    records: applied.processed,
    undecodable: applied.undecodable,
    decodeErrors: applied.decodeErrors,
    watermark,
    minOrigin: origins.length ? Math.min(...origins) : fallback,
    maxOrigin: origins.length ? Math.max(...origins) : fallback,
    groups,
    signature: stage.signature,
    stage: stage.hash,
  };
}
