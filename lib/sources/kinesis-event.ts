import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { KinesisInputRecord } from './kinesis';
import { deaggregate, isAggregated } from './kpl';

/**
 * The one place where Lambda's Kinesis event shape is read (STYLE: Kinesis rules in one place):
 * base64 data to bytes, arrival time (seconds, fractional) to ms, shard id from the event id.
 */
export function recordFromEvent(r: KinesisStreamRecord): KinesisInputRecord {
  return recordOf(r, shardIdOf(r));
}

function recordOf(r: KinesisStreamRecord, shardId: string): KinesisInputRecord {
  // One object shape for every record (no conditional spread): the map phase's hot path reads them.
  return {
    shardId,
    streamArn: r.eventSourceARN || undefined,
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1000),
    data: Buffer.from(r.kinesis.data ?? '', 'base64'),
  };
}

/** The shard id of an event record: the part of `eventID` before the colon (`shardId-000000000000:4959...`). */
export function shardIdOf(r: KinesisStreamRecord): string {
  const id = r.eventID ?? '';
  const i = id.indexOf(':');
  return i > 0 ? id.slice(0, i) : 'shardId-unknown';
}

/**
 * The event's records grouped by shard, each group in delivery order (Lambda delivers one shard per
 * event), KPL aggregates replaced by their user records (a corrupt one stays one record, marked
 * with `decodeError`).
 */
export function recordsByShard(event: KinesisStreamEvent): Map<string, KinesisInputRecord[]> {
  const byShard = new Map<string, KinesisInputRecord[]>();
  let prefix = '';
  let shardId = '';
  let list: KinesisInputRecord[] = [];
  for (const r of event.Records ?? []) {
    // Lambda delivers one shard per event: the shard id string is parsed once, not per record.
    if (!(prefix && r.eventID?.startsWith(prefix))) {
      shardId = shardIdOf(r);
      prefix = `${shardId}:`;
      list = byShard.get(shardId) ?? [];
      byShard.set(shardId, list);
    }
    const rec = recordOf(r, shardId);
    if (!isAggregated(rec.data)) list.push(rec);
    else for (const u of deaggregate(rec)) list.push(u);
  }
  return byShard;
}
