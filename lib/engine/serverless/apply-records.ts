/**
 * Applying one shard's records in the map phase: each record after the shard's committed position
 * is decoded by every Kinesis source, run through the fused map stage, and combined map-side into
 * the group of its own batch (the batch after its arrival time). Pure computation, no
 * store access: the same records always give the same groups, so a retried invocation computes
 * exactly what the first attempt did.
 */
import { ShuffledDStream } from '../../dstream/combine-by-key';
import { batchTimeOf } from '../../plan/time';
import { RecordDecodeError, type KinesisInputRecord } from '../../sources/kinesis';
import { MapPhaseInputError } from './errors';
import type { MapStage } from './map-stage';
import { compareToRecord, positionOf, splitPosition, type Position } from './positions';

type Combiner = ReturnType<typeof ShuffledDStream.combiner>;

/** Map-stage outputs of the records of one origin batch. */
export interface GroupBuilder {
  origin: number;
  records: number;
  /** Elements of each frontier stream (by frontier index), for frontiers not combined. */
  elements: unknown[][];
  /** Map-side combiners of each combined frontier (by frontier index). */
  combiners: (Combiner | undefined)[];
}

/** What applying records gave. */
export interface Applied {
  /** Groups by origin batch, in the order first seen. */
  groups: Map<number, GroupBuilder>;
  /** Positions of the first and last record applied (undefined: none). */
  first?: Position;
  last?: Position;
  maxArrival: number;
  processed: number;
  /** Records at or before the committed position: already applied, dropped. */
  duplicates: number;
  decodeErrors: number;
  /** Records no source could decode (applied: they only move the position). */
  undecodable: number;
  decodeErrorList: RecordDecodeError[];
  /** Index (in the records given) of the record on which a user function threw. */
  failedIndex?: number;
  failure?: Error;
}

/**
 * Runs the map stage over `records` (one shard, in order), skipping those at or before `after`.
 * Stops at the first record on which a user function throws (`failedIndex`), with that record's
 * partial outputs still in its group: callers re-apply the records before it (functions are
 * deterministic), so a record is applied whole or not at all without buffering each one.
 */
export function applyRecords(
  stage: MapStage,
  records: readonly KinesisInputRecord[],
  after: Position,
  intervalMs: number,
): Applied {
  const nF = stage.frontiers.length;
  let current: GroupBuilder | undefined;
  // The fused function of each frontier ends in the current record's group: its combiner
  // (map-side combine) or its element list.
  const fusedFns = stage.frontiers.map((f, i) => {
    const combined = stage.combined.has(f.stream);
    let fn: (x: unknown) => void = combined
      ? (x) => (current as GroupBuilder).combiners[i]?.add(x as [unknown, unknown])
      : (x) => (current as GroupBuilder).elements[i].push(x);
    for (let j = f.chain.length - 1; j >= 0; j--) fn = f.chain[j].fuse(fn);
    return fn;
  });
  const sourceOf = stage.frontiers.map((f) => stage.sources.indexOf(f.source));
  const decoded: unknown[][] = new Array(stage.sources.length);
  const out: Applied = {
    groups: new Map(),
    maxArrival: -Infinity,
    processed: 0,
    duplicates: 0,
    decodeErrors: 0,
    undecodable: 0,
    decodeErrorList: [],
  };
  const from = splitPosition(after);
  let prevSeq = '';
  let prevSub = -1;
  let firstIndex = -1;
  let lastIndex = -1;
  for (let k = 0; k < records.length; k++) {
    const r = records[k];
    const sub = r.subSequenceNumber ?? 0;
    if (compareToRecord(r.sequenceNumber, sub, prevSeq, prevSub) <= 0) {
      throw new MapPhaseInputError(
        `records of ${r.shardId} are out of order at ${r.sequenceNumber}: give mapPhase one shard's records in sequence order.`,
      );
    }
    prevSeq = r.sequenceNumber;
    prevSub = sub;
    // Records come in order: once one is past the committed position, every later one is.
    if (firstIndex < 0 && compareToRecord(r.sequenceNumber, sub, from.seq, from.sub) <= 0) {
      out.duplicates++;
      continue;
    }
    // Each source decodes the record for itself (as the in-memory engine does): a record that one
    // source cannot decode still feeds the others, and counts once per failing source.
    let decodedAny = false;
    for (let s = 0; s < stage.sources.length; s++) {
      try {
        decoded[s] = stage.sources[s].decode(r);
        decodedAny = true;
      } catch (e) {
        decoded[s] = [];
        out.decodeErrors++;
        out.decodeErrorList.push(
          e instanceof RecordDecodeError
            ? e
            : new RecordDecodeError(r.shardId, r.sequenceNumber, (e as Error).message),
        );
      }
    }
    if (firstIndex < 0) firstIndex = k;
    if (!decodedAny) {
      lastIndex = k;
      out.processed++;
      out.undecodable++;
      if (r.arrivalMs > out.maxArrival) out.maxArrival = r.arrivalMs;
      continue;
    }
    const origin = batchTimeOf(r.arrivalMs, intervalMs);
    let g = out.groups.get(origin);
    if (!g) {
      g = {
        origin,
        records: 0,
        elements: stage.frontiers.map(() => []),
        combiners: stage.frontiers.map((f) => {
          const shuffle = stage.combined.get(f.stream);
          return shuffle ? ShuffledDStream.combiner(shuffle.aggregator) : undefined;
        }),
      };
      out.groups.set(origin, g);
    }
    current = g;
    try {
      for (let i = 0; i < nF; i++) {
        const items = decoded[sourceOf[i]];
        const fn = fusedFns[i];
        for (let j = 0; j < items.length; j++) fn(items[j]);
      }
    } catch (e) {
      out.failedIndex = k;
      out.failure = e as Error;
      return out;
    }
    g.records++;
    lastIndex = k;
    out.processed++;
    if (r.arrivalMs > out.maxArrival) out.maxArrival = r.arrivalMs;
  }
  // Positions are built for the two records that bound the entry only.
  if (lastIndex >= 0) {
    out.first = positionOf(records[firstIndex]);
    out.last = positionOf(records[lastIndex]);
  }
  return out;
}
