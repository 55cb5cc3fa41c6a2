/**
 * Claims, leases and done markers. One item per batch T holds the claim (owner, lease)
 * and the batch's cut (`Fix`): it is created with a put-if-absent, so the first claimant fixes the
 * content for good, and a takeover after the lease copies the same cut. The done marker is a
 * separate put-if-absent item with what the batch left for the next one (state manifests).
 *
 * The claim only spares work: correctness does not depend on it. Two closers that both run T (a
 * stale one whose lease ran out, and its successor) read the same cut and the same state, so their
 * outputs and their state writes are the same. Writes: claim (put-if-absent), takeover and release
 * (compare-and-set on owner and lease), done (put-if-absent). TTL: the pipeline's retention.
 */
import { decode, encode } from '../codec';
import type { StoreItem } from '../../state/types';
import type { Fix } from './batch-content';
import type { EngineContext } from './context';
import { keys } from './keys';
import type { StreamVersion } from './state-storage';

/** A claim on batch T with its cut. */
export interface Claim {
  batchTime: number;
  owner: string;
  leaseUntil: number;
  fix: Fix;
  error?: string;
}

/** What a done batch leaves for the next ones. */
export interface Done {
  batchTime: number;
  owner: string;
  doneAt: number;
  /** Per keyed state stream: where its version at T is stored (null: no batch at T). */
  states: Record<string, StreamVersion | null>;
  /** Per shard: records and late records of the batch (inspection, UI). */
  summary: { records: number; late: number };
  /** The stream registry's revision the batch ran under (absent: before the registry). */
  rev?: number;
}

/** The claim and done items of batch `t` (one query). */
export async function readClose(ctx: EngineContext, t: number): Promise<{ claim?: Claim; done?: Done }> {
  const items = await ctx.store.query(keys.close(ctx.pipeline), {
    skFrom: keys.claimSk(t),
    skTo: keys.doneSk(t),
  });
  const out: { claim?: Claim; done?: Done } = {};
  for (const i of items) {
    if (i.sk === keys.claimSk(t)) out.claim = claimOf(t, i);
    else if (i.sk === keys.doneSk(t)) out.done = doneOf(t, i);
  }
  return out;
}

/** The done item of batch `t`, if done. */
export async function readDone(ctx: EngineContext, t: number): Promise<Done | undefined> {
  const item = await ctx.store.get(keys.close(ctx.pipeline), keys.doneSk(t));
  return item && doneOf(t, item);
}

/** Claims batch `t` with cut `fix` unless someone did. True when this call claimed it. */
export async function claim(ctx: EngineContext, t: number, fix: Fix, leaseUntil: number): Promise<boolean> {
  return ctx.store.put(claimItem(ctx, { batchTime: t, owner: ctx.owner, leaseUntil, fix }), {
    notExists: true,
  });
}

/** Takes over `old` (its lease ran out): same cut, this closer's lease. True when it worked. */
export async function takeOver(ctx: EngineContext, old: Claim, leaseUntil: number): Promise<boolean> {
  return ctx.store.put(
    claimItem(ctx, { ...old, owner: ctx.owner, leaseUntil, error: undefined }),
    sameClaim(old),
  );
}

/** Ends this closer's lease at once (after an error), so another closer retries the batch now. */
export async function release(ctx: EngineContext, held: Claim, error: unknown): Promise<void> {
  await ctx.store
    .put(claimItem(ctx, { ...held, leaseUntil: 0, error: String(error).slice(0, 500) }), sameClaim(held))
    .catch(() => undefined);
}

/**
 * Marks batch `t` done. False when the item exists: another closer marked it first (with the same
 * result), or this call's own write applied and the reply was lost (the caller tells by `owner` and
 * `doneAt`). `neededMs`: how long past the retention windows read its state manifests.
 */
export async function markDone(ctx: EngineContext, done: Done, neededMs = 0): Promise<boolean> {
  return ctx.store.put(
    {
      pk: keys.close(ctx.pipeline),
      sk: keys.doneSk(done.batchTime),
      data: encode({ states: done.states, summary: done.summary, rev: done.rev }),
      attrs: { owner: done.owner, doneAt: done.doneAt },
      expiresAt: ctx.ttl(neededMs),
    },
    { notExists: true },
  );
}

function sameClaim(c: Claim) {
  return {
    and: [
      { attr: 'owner', op: '=' as const, value: c.owner },
      { attr: 'leaseUntil', op: '=' as const, value: c.leaseUntil },
    ],
  };
}

function claimItem(ctx: EngineContext, c: Claim): StoreItem {
  return {
    pk: keys.close(ctx.pipeline),
    sk: keys.claimSk(c.batchTime),
    data: encode(c.fix),
    attrs: { owner: c.owner, leaseUntil: c.leaseUntil, ...(c.error ? { error: c.error } : {}) },
    expiresAt: ctx.ttl(),
  };
}

function claimOf(t: number, i: StoreItem): Claim {
  return {
    batchTime: t,
    owner: String(i.attrs?.owner),
    leaseUntil: Number(i.attrs?.leaseUntil),
    fix: decode<Fix>(i.data as Uint8Array),
    ...(i.attrs?.error ? { error: String(i.attrs.error) } : {}),
  };
}

/** Whether the stored done marker of `done`'s batch is this very write (its reply was lost). */
export async function isOwnDone(ctx: EngineContext, done: Done): Promise<boolean> {
  const stored = await readDone(ctx, done.batchTime);
  return stored?.owner === done.owner && stored.doneAt === done.doneAt;
}

function doneOf(t: number, i: StoreItem): Done {
  const body = decode<Pick<Done, 'states' | 'summary' | 'rev'>>(i.data as Uint8Array);
  return {
    batchTime: t,
    owner: String(i.attrs?.owner),
    doneAt: Number(i.attrs?.doneAt),
    states: body.states,
    summary: body.summary,
    ...(body.rev !== undefined ? { rev: body.rev } : {}),
  };
}
