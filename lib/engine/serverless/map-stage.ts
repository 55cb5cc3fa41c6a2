/**
 * The map stage of a pipeline: what the map phase computes per record. From each Kinesis source,
 * the narrow streams reachable through narrow operators (their user functions run per record in
 * the map phase), and its frontier: the streams of that stage read by anything outside it (a
 * shuffle, a window, an output). A frontier read only by one combining shuffle is combined
 * map-side. Map-side data is keyed by stream id (plan/identity.ts), and the stage's signature says
 * what each key holds and which named and stored streams it feeds, so a closer running another
 * version of the code can place it (frontier-data.ts). Writes nothing; a pure function of the graph.
 */
import type { StreamingContext } from '../../dstream/context';
import { DStream, NarrowDStream } from '../../dstream/dstream';
import { ShuffledDStream } from '../../dstream/combine-by-key';
import { KinesisInputDStream } from '../../sources/kinesis';
import type { StreamIdentity } from '../../plan/identity';
import { createHash } from 'node:crypto';

/**
 * What each data key of a map-phase entry holds: `e` (elements of a frontier stream) or `c`
 * (map-side combiners of a shuffle); the nearest named streams its data reaches (stable anchors:
 * data whose id changed is matched to this version's by them); and every stored stream it feeds
 * (data for one of those is never dropped).
 */
export type StageSignature = Record<string, [form: 'e' | 'c', anchors: string[], stored: string[]]>;

/** The compiled map stage. */
export interface MapStage {
  sources: KinesisInputDStream<unknown>[];
  /** Frontier streams whose elements are stored, with their fused chain from the source. */
  frontiers: {
    stream: DStream<unknown>;
    source: KinesisInputDStream<unknown>;
    chain: NarrowDStream<unknown, unknown>[];
  }[];
  /** Frontiers combined map-side into their single shuffle consumer. */
  combined: Map<DStream<unknown>, ShuffledDStream<unknown, unknown, unknown>>;
  /** Shuffles reading a frontier that is not combined (they may get old combiners: frontier-data.ts). */
  shufflesOf: Map<DStream<unknown>, ShuffledDStream<unknown, unknown, unknown>[]>;
  /** The data key (stream id) of each frontier and combined shuffle. */
  keys: Map<DStream<unknown>, string>;
  signature: StageSignature;
  /** Anchors (see StageSignature) of the shuffles in `shufflesOf`, were they combined. */
  anchorsOf: Map<DStream<unknown>, string[]>;
  /** A hash of the signature: entries with the stage's hash are read as they are. */
  hash: string;
  /** Ids of the plan's stored (history) streams: map-side data for them must never be dropped. */
  storedIds: Set<string>;
}

/** Compiles the map stage of a started context's graph, with its streams' identities. */
export function compileMapStage(ssc: StreamingContext, ids: Map<DStream<unknown>, StreamIdentity>): MapStage {
  const graph = ssc.graph;
  const children = new Map<DStream<unknown>, DStream<unknown>[]>();
  for (const s of graph.streams) {
    for (const d of s.dependencies) {
      const list = children.get(d) ?? [];
      list.push(s);
      children.set(d, list);
    }
  }
  const outputsOf = new Map<DStream<unknown>, number>();
  for (const o of graph.outputs) outputsOf.set(o.stream, (outputsOf.get(o.stream) ?? 0) + 1);
  const sources = graph.streams.filter(
    (s): s is KinesisInputDStream<unknown> => s instanceof KinesisInputDStream,
  );
  const stage: MapStage = {
    sources,
    frontiers: [],
    combined: new Map(),
    shufflesOf: new Map(),
    keys: new Map(),
    signature: {},
    anchorsOf: new Map(),
    hash: '',
    storedIds: new Set(Array.from(graph.historyStreams, (h) => idOf(ids, h))),
  };
  for (const source of sources) {
    const visit = (s: DStream<unknown>, chain: NarrowDStream<unknown, unknown>[]) => {
      const kids = children.get(s) ?? [];
      const narrowKids = kids.filter((k): k is NarrowDStream<unknown, unknown> => k instanceof NarrowDStream);
      const isFrontier = kids.length > narrowKids.length || outputsOf.has(s) || graph.historyStreams.has(s);
      if (isFrontier) {
        stage.frontiers.push({ stream: s, source, chain });
        const only =
          kids.length === 1 && !outputsOf.has(s) && !graph.historyStreams.has(s) ? kids[0] : undefined;
        if (only instanceof ShuffledDStream)
          stage.combined.set(s, only as ShuffledDStream<unknown, unknown, unknown>);
      }
      for (const k of narrowKids) visit(k, [...chain, k]);
    };
    visit(source, []);
  }
  // Where a data stream's data goes outside the stage: a frontier's non-narrow readers (its narrow
  // readers are in the stage and keep their own data), a combined shuffle's readers.
  const outOfStage = (d: DStream<unknown>) =>
    (children.get(d) ?? []).filter((k) => d instanceof ShuffledDStream || !(k instanceof NarrowDStream));
  const below = (
    d: DStream<unknown>,
    stop: (s: DStream<unknown>) => boolean,
    take: (s: DStream<unknown>) => boolean,
  ) => {
    const out = new Set<string>();
    const seen = new Set<DStream<unknown>>();
    const walk = (s: DStream<unknown>) => {
      if (seen.has(s)) return;
      seen.add(s);
      if (take(s)) out.add(idOf(ids, s));
      if (!stop(s)) for (const k of children.get(s) ?? []) walk(k);
    };
    for (const k of outOfStage(d)) walk(k);
    return Array.from(out).sort();
  };
  const sign = (d: DStream<unknown>, form: 'e' | 'c') => {
    const named = (s: DStream<unknown>) => s.naming !== undefined;
    const anchors = d.naming ? [idOf(ids, d)] : below(d, named, named);
    const stored = below(
      d,
      () => false,
      (s) => graph.historyStreams.has(s),
    );
    stage.keys.set(d, idOf(ids, d));
    stage.signature[idOf(ids, d)] = [form, anchors, stored];
  };
  for (const f of stage.frontiers) {
    const shuffle = stage.combined.get(f.stream);
    stage.keys.set(f.stream, idOf(ids, f.stream));
    if (shuffle) {
      sign(shuffle, 'c');
      continue;
    }
    sign(f.stream, 'e');
    const shuffles = (children.get(f.stream) ?? []).filter(
      (k): k is ShuffledDStream<unknown, unknown, unknown> => k instanceof ShuffledDStream,
    );
    if (shuffles.length > 0) stage.shufflesOf.set(f.stream, shuffles);
    for (const sh of shuffles) {
      stage.keys.set(sh, idOf(ids, sh));
      stage.anchorsOf.set(
        sh,
        sh.naming
          ? [idOf(ids, sh)]
          : below(
              sh,
              (x) => x.naming !== undefined,
              (x) => x.naming !== undefined,
            ),
      );
    }
  }
  stage.hash = signatureHash(stage.signature);
  return stage;
}

/** A hash of a stage signature (key order does not matter). */
export function signatureHash(signature: StageSignature): string {
  const sorted = Object.keys(signature)
    .sort()
    .map((k) => [k, signature[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

function idOf(ids: Map<DStream<unknown>, StreamIdentity>, s: DStream<unknown>): string {
  const i = ids.get(s);
  if (!i) throw new Error(`internal: ${s.name} has no identity`);
  return i.id;
}
