/**
 * Runs one batch on the closer: the graph's frontier streams get the batch's merged map-side
 * output, history streams get their past batches (from memory when warm, else from the store),
 * the outputs run, and the history streams' new batches are stored (state as changes, panes
 * whole). Outputs and state writes happen only while this closer's lease lasts; a re-run computes
 * the same from the same content. Writes: through KeyedHistory and PaneHistory.
 */
import type { StreamingContext } from '../../dstream/context';
import type { DStream } from '../../dstream/dstream';
import { RDD } from '../../dstream/rdd';
import type { StreamIdentity } from '../../plan/identity';
import type { BatchContent } from './batch-content';
import type { Done } from './claims';
import type { EngineContext } from './context';
import { ClaimLostError } from './errors';
import { setFrontiers } from './frontier-data';
import type { MapStage } from './map-stage';
import { PaneHistory } from './panes';
import type { StreamVersion } from './state-storage';
import { KeyedHistory } from './state-versions';
import type { StoredStream } from './stream-registry';

/** A compiled pipeline as the closer runs it. */
export interface Plan {
  ssc: StreamingContext;
  stage: MapStage;
  /** Every stream's identity (plan/identity.ts). */
  ids: Map<DStream<unknown>, StreamIdentity>;
  /** Every history stream's stored batches. */
  histories: Map<DStream<unknown>, KeyedHistory | PaneHistory>;
  /** The history streams with their ids and fingerprints, and their layout (stream-registry.ts). */
  stored: StoredStream[];
  layout: string;
}

/** What running a batch gave. */
export interface BatchResult {
  /** Where each keyed state stream's version at T is stored. */
  states: Record<string, StreamVersion | null>;
  outputs: { kind: string; elements: number | undefined }[];
}

/** Runs batch `t` from `content`; `doneAt(time)` gives an earlier batch's done marker. */
export async function runBatch(
  ctx: EngineContext,
  plan: Plan,
  t: number,
  content: BatchContent,
  leaseUntil: number,
  doneAt: (time: number) => Promise<Done | undefined>,
): Promise<BatchResult> {
  const graph = plan.ssc.graph;
  const zero = graph.zeroTime as number;
  for (const s of graph.streams) s.generated.clear();
  for (const src of plan.stage.sources) src.generated.set(t, RDD.empty());
  setFrontiers(plan.stage, t, content);
  await prepareHistory(plan, t, zero, doneAt);
  graph.historyProvider = {
    lookup: (stream, time) => {
      if (time >= t) return { handled: false };
      const h = plan.histories.get(stream);
      if (!h)
        throw new Error(
          `internal: ${stream.name} was asked for past batch ${time} but is not a history stream.`,
        );
      return { handled: true, rdd: h.lookup(time) };
    },
  };
  try {
    checkLease(ctx, t, leaseUntil);
    await graph.runBatch(t);
    checkLease(ctx, t, leaseUntil);
    const states: Record<string, StreamVersion | null> = {};
    await Promise.all(
      Array.from(plan.histories.values()).map(async (h) => {
        if (!h.stream.isTimeValid(t)) return;
        const rdd = h.stream.getOrCompute(t);
        if (h instanceof PaneHistory) await h.persist(t, rdd);
        else states[h.key] = await h.persist(t, rdd);
      }),
    );
    return {
      states,
      outputs: graph.outputs.map((o) => ({
        kind: o.kind ?? 'output',
        elements: o.lastRun?.time === t ? o.lastRun.elements : undefined,
      })),
    };
  } finally {
    graph.historyProvider = undefined;
    for (const s of graph.streams) s.generated.clear();
  }
}

/** Throws when this closer's lease has run out (another closer may be running the batch). */
function checkLease(ctx: EngineContext, t: number, leaseUntil: number): void {
  if (ctx.now() >= leaseUntil) throw new ClaimLostError(t);
}

/**
 * Loads what the history streams read at past times: for a keyed stream its version at
 * t - slide (and earlier ones a window reads), for a pane stream the panes its readers may ask.
 */
async function prepareHistory(
  plan: Plan,
  t: number,
  zero: number,
  doneAt: (time: number) => Promise<Done | undefined>,
): Promise<void> {
  await Promise.all(
    Array.from(plan.histories.values()).map(async (h) => {
      const s = h.stream;
      if (h instanceof PaneHistory) {
        await h.prepare(validTimes(s, zero, t - s.rememberMs - s.slideDuration, t - 1), doneAt);
        return;
      }
      const base = t - s.slideDuration;
      for (const u of validTimes(s, zero, t - s.rememberMs, base)) {
        const done = h.isWarm(u) ? undefined : await doneAt(u);
        await h.prepare(u, done?.states[h.key], u === base, done && (done.rev ?? 0));
      }
    }),
  );
}

/** The batch times of `s` in [from, to] (after zero time, on its slide). */
function validTimes(s: DStream<unknown>, zero: number, from: number, to: number): number[] {
  const slide = s.slideDuration;
  const first = Math.max(zero + slide, zero + Math.ceil((from - zero) / slide) * slide);
  const out: number[] = [];
  for (let u = first; u <= to; u += slide) if (s.isTimeValid(u)) out.push(u);
  return out;
}
