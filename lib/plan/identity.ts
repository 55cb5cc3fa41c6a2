/**
 * Stable stream identity: each stream of a pipeline gets an id from its place in the
 * plan's structure, never from creation order. A stream named with `.named(name)` has the name as
 * its id (the parts of a named composite, `name/i`); any other stream's id hashes its operator
 * kind, the parameters that change what its batches mean (window and slide), and its parents' ids.
 * So changed function bodies and added or removed outputs keep every id; an operator added
 * upstream changes the ids below it, up to the next named stream.
 *
 * Look-alikes (the same operator and parameters over the same parents, e.g. `words.map(f)` and
 * `words.map(g)`) are told apart by what they lead to: the streams that lead to no state (to
 * outputs only) are numbered among themselves, so adding or removing them moves no state; those
 * that lead to state are told apart by the shape of the stateful and named streams below them.
 * Look-alikes alike there too (two `pairs.updateStateByKey(...)`) are told apart by their order of
 * definition, and marked `ambiguous`: the serverless engine asks for names where they hold state. Pure functions of
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

/** Ids of every stream, with names (`named`) or without (structure alone). */
function computeIds(
  graph: DStreamGraph,
  useNames: boolean,
): { ids: Map<DStream<unknown>, string>; ambiguous: Set<DStream<unknown>> } {
  const streams = graph.streams;
  const index = new Map(streams.map((s, i) => [s, i] as const));
  const children = new Map<DStream<unknown>, DStream<unknown>[]>();
  for (const s of streams) for (const d of s.dependencies) children.set(d, [...(children.get(d) ?? []), s]);
  const name = (s: DStream<unknown>) => (useNames ? s.naming?.name : undefined);
  // Bottom-up: which streams lead to stored or named streams, and the shape of what they lead to.
  const relevant = new Set<DStream<unknown>>();
  const down = new Map<DStream<unknown>, string>();
  for (let i = streams.length - 1; i >= 0; i--) {
    const s = streams[i];
    const kids = (children.get(s) ?? []).filter((k) => relevant.has(k));
    if (graph.historyStreams.has(s) || name(s) !== undefined || kids.length > 0) relevant.add(s);
    const below = kids.map((k) => down.get(k) as string).sort();
    down.set(s, hash(JSON.stringify([kindOf(s), paramsOf(s), name(s) ?? null, below])));
  }
  // Look-alikes: the same operator and parameters over the same parents.
  const groupOf = (s: DStream<unknown>) =>
    JSON.stringify([kindOf(s), paramsOf(s), s.dependencies.map((d) => index.get(d)), relevant.has(s)]);
  const groups = new Map<string, DStream<unknown>[]>();
  for (const s of streams) groups.set(groupOf(s), [...(groups.get(groupOf(s)) ?? []), s]);
  const ids = new Map<DStream<unknown>, string>();
  const ambiguous = new Set<DStream<unknown>>();
  for (const s of streams) {
    const own = name(s);
    const twins = groups.get(groupOf(s)) as DStream<unknown>[];
    let mark: unknown = null;
    if (!relevant.has(s)) {
      // Streams that lead to no state are numbered apart: adding or removing them moves no state.
      mark = ['x', twins.indexOf(s)];
    } else if (twins.length > 1) {
      // Look-alikes that lead to state are told apart by what they lead to; alike there too, by order.
      const same = twins.filter((t) => down.get(t) === down.get(s));
      mark = [down.get(s), same.indexOf(s)];
      if (same.length > 1 && own === undefined) ambiguous.add(s);
    }
    if (own === undefined && s.dependencies.some((d) => ambiguous.has(d))) ambiguous.add(s);
    const kind = kindOf(s);
    ids.set(
      s,
      own ??
        `${kind}@${hash(JSON.stringify([kind, paramsOf(s), s.dependencies.map((d) => ids.get(d)), mark]))}`,
    );
  }
  return { ids, ambiguous };
}

/**
 * The identity of every stream of `graph`.
 * @example const ids = streamIdentities(ssc.graph); ids.get(totals)?.id // 'totals'
 */
export function streamIdentities(graph: DStreamGraph): Map<DStream<unknown>, StreamIdentity> {
  const named = computeIds(graph, true);
  const structure = computeIds(graph, false);
  const out = new Map<DStream<unknown>, StreamIdentity>();
  for (const s of graph.streams) {
    const id = named.ids.get(s) as string;
    const kind = kindOf(s);
    out.set(s, {
      id,
      sid: structure.ids.get(s) as string,
      kind,
      params: paramsOf(s),
      named: s.naming !== undefined,
      ambiguous: named.ambiguous.has(s),
      display: s.naming ? `'${id}' (${kind})` : id,
    });
  }
  return out;
}
