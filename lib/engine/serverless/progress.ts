/**
 * The pipeline's progress item: the next batch to close and the zero time. Written first by the
 * closer that starts the pipeline (put-if-absent), then moved one interval at a time by the closer
 * that closed the batch (compare-and-set on `next`: a repeated or late advance is refused). Its TTL
 * is the retention, renewed at every advance.
 */
import type { EngineContext } from './context';
import { keys } from './keys';

/** The pipeline's progress: the next batch to close and its zero time. */
export interface Progress {
  next: number;
  zero: number;
}

/** Reads the progress item (undefined before the first batch starts). */
export async function readProgress(ctx: EngineContext): Promise<Progress | undefined> {
  const item = await ctx.store.get(keys.meta(ctx.pipeline), keys.progressSk);
  return item ? { next: Number(item.attrs?.next), zero: Number(item.attrs?.zero) } : undefined;
}

/** Starts the pipeline at batch `first` (zero time one interval before), unless a closer did. */
export async function startProgress(ctx: EngineContext, first: number): Promise<void> {
  await ctx.store.put(
    {
      pk: keys.meta(ctx.pipeline),
      sk: keys.progressSk,
      attrs: { next: first, zero: first - ctx.intervalMs },
      expiresAt: ctx.ttl(),
    },
    { notExists: true },
  );
}

/** Moves the progress past `t` (once: a concurrent closer may have done it already). */
export async function advance(ctx: EngineContext, progress: Progress, t: number): Promise<void> {
  await ctx.store.put(
    {
      pk: keys.meta(ctx.pipeline),
      sk: keys.progressSk,
      attrs: { next: t + ctx.intervalMs, zero: progress.zero },
      expiresAt: ctx.ttl(),
    },
    { attr: 'next', op: '=', value: t },
  );
}
