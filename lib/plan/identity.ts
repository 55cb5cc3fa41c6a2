/**
 * Stable stream identity (DESIGN 3.6): each stream of a pipeline gets an id from its place in the
 * plan's structure, never from creation order. A stream named with `.named(name)` has the name as
 * its id (the parts of a named composite, `name/i`); any other stream's id hashes its operator
 * kind, the parameters that change what its batches mean (window and slide), and its parents' ids.
 * So changed function bodies and added or removed outputs keep every id; an operator added
 * upstream changes the ids below it, up to the next named stream.
 *
 * Streams that look alike (same operator and parameters over the same parents, e.g. two
 * `pairs.updateStateByKey(...)`) are told apart by their order of definition: such ids are marked
 * `ambiguous` when their whole structure is alike (up to named streams), and the serverless engine
 * asks for a name where such streams hold state. (Look-alikes whose downstream differs are told
 * apart by it: a change of their order changes their ids, which the engine refuses, never swaps.) Pure functions of
 * the graph; nothing here reads or writes storage.
 */
import { createHash } from 'node:crypto';
import type { DStream } from '../dstream/dstream';
import { CoGroupedDStream } from '../dstream/cogroup';
import { ShuffledDStream } from '../dstream/combine-by-key';
import { CountDStream } from '../dstream/count';
import { FilteredDStream } from '../dstream/filter';
import { FlatMapValuedDStream } from '../dstream/flat-map-values';
import { FlatMappedDStream } from '../dstream/flat-map';
import { GlommedDStream } from '../dstream/glom';
import { MapPartitionedDStream } from '../dstream/map-partitions';
import { MapValuedDStream } from '../dstream/map-values';
import { InternalMapWithStateDStream } from '../dstream/map-with-state';
import { MappedDStream } from '../dstream/map';
import { ReducedWindowedDStream } from '../dstream/reduce-by-key-and-window';
import { ReducedDStream } from '../dstream/reduce';
import { RepartitionedDStream } from '../dstream/repartition';
import { TransformedDStream } from '../dstream/transform';
import { UnionDStream } from '../dstream/union';
import { StateDStream } from '../dstream/update-state-by-key';
import { WindowedDStream } from '../dstream/window';
import { KinesisInputDStream } from '../sources/kinesis';
import { QueueInputDStream } from '../sources/queue';
import { SocketInputDStream } from '../sources/socket';
import { TextFileInputDStream } from '../sources/text-file';
import type { DStreamGraph } from './graph';

/** The identity of one stream of a plan. */
export interface StreamIdentity {
  /** Its id in stored data: its name, or `<kind>@<hash of its structure>`. */
  readonly id: string;
  /** Its structure alone (names ignored): equal across a change that only names streams. */
  readonly sid: string;
  /** The operator (Spark's method name): `map`, `updateStateByKey`, `window`... */
  readonly kind: string;
  /** The parameters in its id: `windowMs`, `slideMs` for windows; `op` for transforms. */
  readonly params: Readonly<Record<string, number | string>>;
  /** True when the id comes from a name (the user's, or its named composite's). */
  readonly named: boolean;
  /**
   * True when another unnamed stream has the same structure (the same operators over the same
   * inputs, up to named streams): which id each gets depends on their order of definition.
   */
  readonly ambiguous: boolean;
  /** For messages: `'totals' (updateStateByKey)` or `updateStateByKey@1a2b3c4d5e`. */
  readonly display: string;
}

// Class to kind, by constructor (never by class name: bundlers minify names).
const KINDS = new Map<unknown, string>([
  [MappedDStream, 'map'],
  [FlatMappedDStream, 'flatMap'],
  [FilteredDStream, 'filter'],
  [MapValuedDStream, 'mapValues'],
  [FlatMapValuedDStream, 'flatMapValues'],
  [MapPartitionedDStream, 'mapPartitions'],
  [GlommedDStream, 'glom'],
  [RepartitionedDStream, 'repartition'],
  [UnionDStream, 'union'],
  [TransformedDStream, 'transform'],
  [ShuffledDStream, 'combineByKey'],
  [CountDStream, 'count'],
  [ReducedDStream, 'reduce'],
  [CoGroupedDStream, 'cogroup'],
  [WindowedDStream, 'window'],
  [ReducedWindowedDStream, 'reduceByKeyAndWindow'],
  [StateDStream, 'updateStateByKey'],
  [InternalMapWithStateDStream, 'mapWithState'],
  [KinesisInputDStream, 'kinesis'],
  [QueueInputDStream, 'queue'],
  [SocketInputDStream, 'socket'],
  [TextFileInputDStream, 'textFile'],
]);

/** The operator kind of a stream (its Spark method name). */
export function kindOf(s: DStream<unknown>): string {
  return KINDS.get(s.constructor) ?? s.constructor.name;
}

/** The parameters that change what a stream's batches mean (function bodies never do). */
function paramsOf(s: DStream<unknown>): Record<string, number | string> {
  if (s instanceof WindowedDStream || s instanceof ReducedWindowedDStream)
    return { windowMs: s.windowMs, slideMs: s.slideMs };
  if (s instanceof TransformedDStream) return { op: s.op };
  return {};
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * The identity of every stream of `graph` (in creation order, parents first).
 * @example const ids = streamIdentities(ssc.graph); ids.get(totals)?.id // 'totals'
 */
export function streamIdentities(graph: DStreamGraph): Map<DStream<unknown>, StreamIdentity> {
  const out = new Map<DStream<unknown>, StreamIdentity>();
  const seenById = new Map<string, number>();
  const seenBySid = new Map<string, number>();
  // The shape of a stream is its structure without the order of definition: look-alikes share it.
  const shapes = new Map<DStream<unknown>, string>();
  const shapeCount = new Map<string, number>();
  for (const s of graph.streams) {
    const kind = kindOf(s);
    const params = paramsOf(s);
    const parents = s.dependencies.map((d) => out.get(d) as StreamIdentity);
    const node = JSON.stringify([kind, params, parents.map((p) => p.id)]);
    const sidNode = JSON.stringify([kind, params, parents.map((p) => p.sid)]);
    const ordinal = seenById.get(node) ?? 0;
    seenById.set(node, ordinal + 1);
    const sidOrdinal = seenBySid.get(sidNode) ?? 0;
    seenBySid.set(sidNode, sidOrdinal + 1);
    const shape =
      s.naming?.name ?? hash(JSON.stringify([kind, params, s.dependencies.map((d) => shapes.get(d))]));
    shapes.set(s, shape);
    shapeCount.set(shape, (shapeCount.get(shape) ?? 0) + 1);
    const structural = `${kind}@${hash(`${node}#${ordinal}`)}`;
    out.set(s, {
      id: s.naming?.name ?? structural,
      sid: `${kind}@${hash(`${sidNode}#${sidOrdinal}`)}`,
      kind,
      params,
      named: s.naming !== undefined,
      ambiguous: false,
      display: s.naming ? `'${s.naming.name}' (${kind})` : structural,
    });
  }
  for (const s of graph.streams) {
    const me = out.get(s) as StreamIdentity;
    if (!me.named && (shapeCount.get(shapes.get(s) as string) ?? 0) > 1)
      out.set(s, { ...me, ambiguous: true });
  }
  return out;
}
