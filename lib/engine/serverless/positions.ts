/**
 * Where a record sits in its shard: its sequence number and, for a user record inside a KPL
 * aggregate, its sub-sequence number. Positions are fixed-width strings, so comparing two is
 * comparing strings (no BigInt on the hot path), and they are usable as sort keys.
 */
import type { KinesisInputRecord } from '../../sources/kinesis';
import { padSeq } from './keys';

/** A record's position: 64-digit sequence number, '.', 7-digit sub-sequence number. */
export type Position = string;

/** Before every record of a shard: the key of a shard's first log entry. */
export const ZERO_POSITION: Position = `${'0'.repeat(64)}.0000000`;

/** The position of a record. */
export function positionOf(r: KinesisInputRecord): Position {
  const sub = r.subSequenceNumber ?? 0;
  return `${padSeq(r.sequenceNumber)}.${String(sub).padStart(7, '0')}`;
}

/** The sequence number of a position, as Kinesis prints it (no leading zeros). */
export function sequenceOf(p: Position): string {
  return p === ZERO_POSITION ? '' : BigInt(p.slice(0, 64)).toString();
}

/** A position for people: the sequence number, and `/sub` for a user record of an aggregate. */
export function describePosition(p: Position): string {
  if (p === ZERO_POSITION) return '(start)';
  const sub = Number(p.slice(65));
  return sub === 0 ? sequenceOf(p) : `${sequenceOf(p)}/${sub}`;
}

/**
 * The key of a record's shard: the stream's ARN and the shard id, so that two streams feeding one
 * pipeline (each with a `shardId-000000000000`) never share a checkpoint. Records without an ARN
 * (tests, a single local stream) are keyed by shard id alone.
 */
export function shardKeyOf(r: { shardId: string; streamArn?: string }): string {
  return r.streamArn ? `${r.streamArn}|${r.shardId}` : r.shardId;
}

/**
 * Compares a record's (sequence number, sub-sequence number) with a position or another record's,
 * without building position strings (the map phase's per-record check). Sequence numbers are
 * decimal strings without leading zeros, as Kinesis gives them: a longer one is larger.
 */
export function compareToRecord(seq: string, sub: number, otherSeq: string, otherSub: number): number {
  if (seq.length !== otherSeq.length) return seq.length - otherSeq.length;
  if (seq !== otherSeq) return seq < otherSeq ? -1 : 1;
  return sub - otherSub;
}

/** A position split into its sequence number (no leading zeros; '' for ZERO_POSITION) and sub-sequence number. */
export function splitPosition(p: Position): { seq: string; sub: number } {
  return { seq: sequenceOf(p), sub: Number(p.slice(65)) };
}
