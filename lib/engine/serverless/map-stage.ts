/**
 * The map stage of a pipeline: what the map phase computes per record. From each Kinesis source,
 * the narrow streams reachable through narrow operators (their user functions run per record in
 * the map phase), and its frontier: the streams of that stage read by anything outside it (a
 * shuffle, a window, an output). A frontier read only by one combining shuffle is combined
 * map-side. Writes nothing; a pure function of the graph.
 */
import type { StreamingContext } from '../../dstream/context';
import { DStream, NarrowDStream } from '../../dstream/dstream';
import { ShuffledDStream } from '../../dstream/combine-by-key';
import { KinesisInputDStream } from '../../sources/kinesis';

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
}

/** Compiles the map stage of a started context's graph. */
export function compileMapStage(ssc: StreamingContext): MapStage {
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
  const stage: MapStage = { sources, frontiers: [], combined: new Map() };
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
  return stage;
}

/** A stable key for a stream in stored data: its creation index within the pipeline definition. */
export function streamKey(s: DStream<unknown>): string {
  return String(s.id);
}
