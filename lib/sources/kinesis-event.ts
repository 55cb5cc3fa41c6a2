import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { KinesisInputRecord } from './kinesis';
import { deaggregate } from './kpl';

/**
 * The one place where Lambda's Kinesis event shape is read (STYLE: Kinesis rules in one place):
 * base64 data to bytes, arrival time (seconds, fractional) to ms, shard id from the event id.
 */
export function recordFromEvent(r: KinesisStreamRecord): KinesisInputRecord {
  const shardId = shardIdOf(r);
  return {
    shardId,
    ...(r.eventSourceARN ? { streamArn: r.eventSourceARN } : {}),
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
  for (const r of event.Records ?? []) {
    const rec = recordFromEvent(r);
    let list = byShard.get(rec.shardId);
    if (!list) byShard.set(rec.shardId, (list = []));
    const users = deaggregate(rec);
    if (users.length === 1) list.push(users[0]);
    else for (const u of users) list.push(u);
  }
  return byShard;
}
