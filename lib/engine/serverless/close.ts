/**
 * The close protocol: batches close strictly in time order, each once ready. For batch
 * T the closer reads the progress item (next batch, zero time), then T's claim and done items; if T
 * is not claimed and is ready, it cuts the shard logs (batch-content.ts) and claims T with that cut
 * (put-if-absent); a claim whose lease ran out is taken over with the same cut. It runs the batch
 * (run-batch.ts), marks it done (put-if-absent, with where its state is stored), and moves the
 * progress to T + interval (compare-and-set). The pipeline's first batch is the earliest batch of
 * the records committed when it first becomes ready.
 *
 * Faults: a crash anywhere before done leaves a claim whose lease runs out (or released at once
 * after an error): the next closer re-runs T from the same cut and the same state, so outputs may
 * run again, with the same content. A crash after done and before the progress moves is repaired by
 * the next closer (it finds T done). Late or repeated writes of a stale closer write what the live
 * one writes. Writes: progress (progress.ts: put-if-absent, then compare-and-set), claims and done
 * (claims.ts), idle shards' head hints (refreshed before they expire, shard-log.ts), state and panes
 * (run-batch.ts).
 */
import { EntryCache, computeFix, loadContent, type Fix } from './batch-content';
import {
  claim,
  isOwnDone,
  markDone,
  readClose,
  readDone,
  release,
  takeOver,
  type Claim,
  type Done,
} from './claims';
import type { EngineContext } from './context';
import { ClaimLostError, MissingHistoryError, SupersededError } from './errors';
import { ZERO_POSITION } from './positions';
import { advance, readProgress, startProgress, type Progress } from './progress';
import { closedShardKeys, isReady } from './readiness';
import { runBatch, type Plan } from './run-batch';
import { historyNeedMs } from './state-storage';
import { listHeads, readEntries, refreshIdleHeads } from './shard-log';
import type { StreamRegistry } from './stream-registry';
import type { ShardRef } from './types';

/** Options of a closer. */
export interface CloserOptions {
  listShards?: () => Promise<ShardRef[]>;
  leaseMs: number;
  maxBatches: number;
}

/** Closes batches; keeps what it knows of the last batch (cut, state, panes, entries) warm. */
export class Closer {
  private readonly entries = new EntryCache();
  private last: { fix: Fix; done: Done } | undefined;
  /** The last claim or takeover this closer wrote (to know its own claim when the reply was lost). */
  private attempt: { t: number; leaseUntil: number } | undefined;
  /** Calls of `closeReady` run one after the other (the warm state is this closer's alone). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: EngineContext,
    private readonly plan: (zero: number) => Plan,
    private readonly registry: StreamRegistry,
    private readonly options: CloserOptions,
  ) {}

  /** Closes every ready batch in order; returns the batch times this call closed. */
  async closeReady(leaseMs = this.options.leaseMs): Promise<number[]> {
    const run = this.queue.then(() => this.closeRound(leaseMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async closeRound(leaseMs: number): Promise<number[]> {
    // A takeover waits out the lease, then reads the cut's entries: they must still be stored. They
    // wait for their batch up to half the retention, so the lease is at most a quarter of it.
    const closed = await this.closeLoop(Math.min(leaseMs, this.ctx.retentionMs / 4));
    // How far behind the clock the closer is (the "closer behind" alarm), sent even when zero.
    const progress = await readProgress(this.ctx);
    const now = this.ctx.now();
    const behind = progress && now >= progress.next ? now - progress.next : 0;
    this.ctx.gauge(
      'BatchesWaiting',
      progress && now >= progress.next ? Math.floor(behind / this.ctx.intervalMs) + 1 : 0,
    );
    this.ctx.gauge('OldestOpenBatchAgeMs', behind);
    return closed;
  }

  private async closeLoop(leaseMs: number): Promise<number[]> {
    const { ctx } = this;
    const closed: number[] = [];
    while (closed.length < this.options.maxBatches) {
      const progress = await readProgress(ctx);
      if (!progress) {
        if (!(await this.start())) break;
        continue;
      }
      const t = progress.next;
      const { claim: existing, done } = await readClose(ctx, t);
      if (done) {
        await advance(ctx, progress, t);
        continue;
      }
      const now = ctx.now();
      const held = await this.acquire(t, progress, existing, now + leaseMs);
      if (held === 'busy') break;
      if (held === 'retry') continue;
      // The code is checked against the stored streams before every batch it runs (a deploy, an
      // import or a reset may have changed them); a closer of an older version of the code stops.
      let rev: number;
      try {
        rev = await this.registry.sync(this.plan(progress.zero));
      } catch (e) {
        await release(ctx, held, e);
        if (!(e instanceof SupersededError)) throw e;
        ctx.log(e.message, { batch: t });
        break;
      }
      if (await this.close(t, progress, held, now, rev)) closed.push(t);
      else break;
    }
    return closed;
  }

  /** Claims T (cutting the logs if ready), or takes over an expired claim. */
  private async acquire(
    t: number,
    progress: Progress,
    existing: Claim | undefined,
    leaseUntil: number,
  ): Promise<Claim | 'busy' | 'retry'> {
    const { ctx } = this;
    if (existing) {
      // This closer's own claim or takeover, whose write applied though its reply was lost (the SDK
      // resent it and the resend was refused): held. (Closes of one closer never run concurrently.)
      const mine = this.attempt;
      if (
        mine?.t === t &&
        existing.owner === ctx.owner &&
        existing.leaseUntil === mine.leaseUntil &&
        existing.leaseUntil > ctx.now()
      )
        return existing;
      if (existing.leaseUntil > ctx.now()) return 'busy'; // another closer holds T
      this.attempt = { t, leaseUntil };
      if (!(await takeOver(ctx, existing, leaseUntil))) return 'retry';
      if (existing.owner !== ctx.owner || existing.error)
        ctx.log('took over a batch close', { batch: t, from: existing.owner, error: existing.error });
      return { ...existing, owner: ctx.owner, leaseUntil, error: undefined };
    }
    const heads = await listHeads(ctx);
    const { listShards } = this.options;
    await refreshIdleHeads(ctx, heads, async () =>
      listShards ? closedShardKeys(heads, listShards) : new Set<string>(),
    );
    if (!(await isReady(ctx, t, heads, this.options.listShards))) return 'busy';
    const fix = await computeFix(ctx, t, await this.fixBefore(t, progress), heads, this.entries);
    this.attempt = { t, leaseUntil };
    if (!(await claim(ctx, t, fix, leaseUntil))) return 'retry';
    return { batchTime: t, owner: ctx.owner, leaseUntil, fix };
  }

  /** Runs T under `held`, marks it done and moves the progress. False when this closer stopped. */
  private async close(
    t: number,
    progress: Progress,
    held: Claim,
    startedAt: number,
    rev: number,
  ): Promise<boolean> {
    const { ctx } = this;
    const plan = this.plan(progress.zero);
    const histories = Array.from(plan.histories.values());
    ctx.notify('onBatchStarted', {
      batchTime: t,
      owner: ctx.owner,
      startedAt,
      schedulingDelayMs: Math.max(0, startedAt - t),
    });
    try {
      const prev = await this.fixBefore(t, progress);
      const content = await loadContent(ctx, t, held.fix, prev, this.entries);
      const dones = new Map<number, Promise<Done | undefined>>();
      const doneAt = (u: number) => {
        if (this.last?.done.batchTime === u) return Promise.resolve(this.last.done);
        if (!dones.has(u)) dones.set(u, readDone(ctx, u));
        return dones.get(u) as Promise<Done | undefined>;
      };
      const result = await runBatch(ctx, plan, t, content, held.leaseUntil, doneAt);
      const done: Done = {
        batchTime: t,
        owner: ctx.owner,
        doneAt: ctx.now(),
        states: result.states,
        summary: { records: content.records, late: content.late },
        rev,
      };
      // Metrics go once, by the closer whose done marker landed, right after it: only a crash in
      // between loses them (never counted twice). A refused put may be this closer's own write whose
      // reply was lost (the SDK resent it): the marker then holds this run's owner and time.
      const needMs = Math.max(0, ...histories.map((h) => historyNeedMs(h.stream)));
      if ((await markDone(ctx, done, needMs)) || (await isOwnDone(ctx, done)))
        this.report(t, startedAt, content, result.outputs);
      for (const h of histories) h.commit(t);
      this.entries.retain(held.fix);
      this.last = { fix: held.fix, done };
      await advance(ctx, progress, t);
      return true;
    } catch (e) {
      for (const h of histories) h.abort();
      this.entries.clear();
      this.last = undefined;
      ctx.notify('onBatchFailed', { batchTime: t, owner: ctx.owner, error: String(e) });
      if (e instanceof ClaimLostError) {
        ctx.log(e.message, { batch: t });
        return false;
      }
      await release(ctx, held, e);
      throw e;
    }
  }

  /** Metrics and the completion event of a batch this closer marked done. */
  private report(
    t: number,
    startedAt: number,
    content: Awaited<ReturnType<typeof loadContent>>,
    outputs: { kind: string; elements: number | undefined }[],
  ): void {
    const { ctx } = this;
    const completedAt = ctx.now();
    const schedulingDelayMs = Math.max(0, startedAt - t);
    const processingTimeMs = Math.max(0, completedAt - startedAt);
    ctx.metric('RecordsIn', content.records);
    ctx.metric('LateRecords', content.late);
    ctx.metric('DecodeErrors', content.decodeErrors);
    ctx.metric('BatchesClosed', 1);
    ctx.metric('BatchLatencyMs', Math.max(0, completedAt - t));
    ctx.metric('SchedulingDelayMs', schedulingDelayMs);
    ctx.metric('ProcessingTimeMs', processingTimeMs);
    ctx.metric('TotalDelayMs', schedulingDelayMs + processingTimeMs);
    if (content.late) ctx.log('late records counted in a later batch', { batch: t, late: content.late });
    ctx.notify('onBatchCompleted', {
      batchTime: t,
      owner: ctx.owner,
      records: content.records,
      late: content.late,
      shards: Array.from(content.shards, ([shardId, s]) => ({
        shardId,
        partials: s.entries,
        records: s.records,
        late: s.late,
      })).sort((a, b) => (a.shardId < b.shardId ? -1 : 1)),
      startedAt,
      completedAt,
      schedulingDelayMs,
      processingTimeMs,
      totalDelayMs: schedulingDelayMs + processingTimeMs,
      outputs,
    });
  }

  /** The cut of the batch before T (undefined for the pipeline's first batch). */
  private async fixBefore(t: number, progress: Progress): Promise<Fix | undefined> {
    const before = t - this.ctx.intervalMs;
    if (before <= progress.zero) return undefined;
    if (this.last?.done.batchTime === before) return this.last.fix;
    const { claim: c } = await readClose(this.ctx, before);
    if (!c) throw new MissingHistoryError('the close record', before);
    return c.fix;
  }

  /**
   * Starts the pipeline when the earliest batch of the records seen is ready: its batch is the
   * first, and zero time one interval before (records of earlier batches committed later are late).
   */
  private async start(): Promise<boolean> {
    const { ctx } = this;
    const heads = await listHeads(ctx);
    if (heads.length === 0) return false;
    const candidate = Math.min(...heads.map((h) => h.firstOrigin));
    if (!(await isReady(ctx, candidate, heads, this.options.listShards))) return false;
    let first = candidate;
    for (const h of heads) {
      for (const e of await readEntries(ctx, h.shardKey, ZERO_POSITION)) first = Math.min(first, e.minOrigin);
    }
    await startProgress(ctx, first);
    return true;
  }
}
