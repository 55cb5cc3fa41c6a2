/**
 * The pipeline's stream registry: one item listing every stored stream (keyed state
 * and window panes) by its stable id, with a fingerprint of what its data means (operator, window,
 * slide, declared schema) and the storage key its data lives under. Code and stored state are
 * reconciled against it: a stream whose fingerprint changed under the same id, or a stream holding
 * state that the code no longer defines, is refused (IncompatibleStateError) before anything is
 * written; a stream the code adds is registered with a fresh storage key; a newly named stream
 * whose structure equals an unclaimed registered one adopts its state (naming keeps state). So one
 * stream's data is never read as another's.
 *
 * Each registration carries the registry revision it was made at, and each done marker the
 * revision its batch ran under: a batch closed under an earlier revision holds no version of a
 * stream registered later (its first batch starts empty, or from an imported version: `initial`).
 *
 * Writes: the registry item (pk `p#<pipeline>#meta`, sk `streams`), compare-and-set on its `rev`,
 * by the closer before a batch when streams are added, adopted or dropped (or the item is half its
 * retention old), and by `dstream state reset|import`. The map phase only reads it, once per
 * process. TTL: the pipeline's retention (rewritten before it expires).
 */
import { createHash } from 'node:crypto';
import type { DStream } from '../../dstream/dstream';
import type { StreamIdentity } from '../../plan/identity';
import { decode, encode } from '../codec';
import type { EngineContext } from './context';
import { IncompatibleStateError, SupersededError } from './errors';
import { keys } from './keys';
import type { StreamVersion } from './state-storage';
import { reconcile } from './stream-reconcile';

export {
  describeFingerprint,
  reconcile,
  sameFingerprint,
  storageKey,
  type Reconciled,
} from './stream-reconcile';

/** What a stored stream's data means: equal fingerprints read each other's data. */
export interface Fingerprint {
  /** `pairs` and `mapWithState`: keyed state entries; `panes`: whole batches read by windows. */
  storage: 'pairs' | 'mapWithState' | 'panes';
  /** The operator (Spark's method name). */
  kind: string;
  slideMs: number;
  /** The window of a reduceByKeyAndWindow's running value. */
  windowMs?: number;
  /** The schema label given with `.named(name, { schema })`. */
  schema?: string;
}

/** A stream in the registry. */
export interface RegisteredStream {
  /** Where its data is stored (keys of its snapshots, deltas, panes; its entry in done markers). */
  key: string;
  /** Its structure alone (names ignored): lets a newly named stream adopt its state. */
  sid: string;
  fp: Fingerprint;
  /** The registry revision it was registered at: batches closed earlier hold no version of it. */
  rev: number;
  /** For messages. */
  display: string;
  /** An imported version (`dstream state import`): the state before its first batch. */
  initial?: StreamVersion;
}

/** The registry's content. */
export interface RegistryBody {
  /** The batch interval the stored batches are on. */
  intervalMs: number;
  /** The layout (ids and fingerprints) of the code version that last registered its streams. */
  layout: string;
  streams: Record<string, RegisteredStream>;
}

/** The registry as stored. */
export interface Registry extends RegistryBody {
  rev: number;
  writtenAt: number;
}

/** A stored stream of the code's plan. */
export interface StoredStream {
  stream: DStream<unknown>;
  id: string;
  sid: string;
  display: string;
  ambiguous: boolean;
  fp: Fingerprint;
}

/** A history the registry binds to its storage key. */
export interface Bindable {
  readonly stream: DStream<unknown>;
  bind(binding: Binding): void;
}

/** Where a stored stream's data is, as the registry says. */
export interface Binding {
  key: string;
  rev: number;
  initial?: StreamVersion;
}

/** The code's side of a reconciliation: its stored streams and their layout. */
export interface IdentityPlan {
  stored: StoredStream[];
  layout: string;
  histories: Map<DStream<unknown>, Bindable>;
}

const REGISTRY_SK = 'streams';

/** The layout of a plan's stored streams: equal layouts register the same streams. */
export function layoutOf(stored: readonly StoredStream[], intervalMs: number): string {
  const parts = stored.map((s) => [s.id, s.fp] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return createHash('sha256')
    .update(JSON.stringify([intervalMs, parts]))
    .digest('hex')
    .slice(0, 16);
}

/** Reads the registry (undefined before the first batch of a pipeline ran). */
export async function readRegistry(ctx: EngineContext): Promise<Registry | undefined> {
  const item = await ctx.store.get(keys.meta(ctx.pipeline), REGISTRY_SK);
  if (!item) return undefined;
  return {
    ...decode<RegistryBody>(item.data as Uint8Array),
    rev: Number(item.attrs?.rev),
    writtenAt: Number(item.attrs?.writtenAt),
  };
}

/** Writes the registry at revision `rev` if it is still at `prevRev` (undefined: absent). */
export async function writeRegistry(
  ctx: EngineContext,
  body: RegistryBody,
  rev: number,
  prevRev: number | undefined,
): Promise<boolean> {
  return ctx.store.put(
    {
      pk: keys.meta(ctx.pipeline),
      sk: REGISTRY_SK,
      data: encode(body),
      attrs: { rev, writtenAt: ctx.now() },
      expiresAt: ctx.ttl(),
    },
    prevRev === undefined ? { notExists: true } : { attr: 'rev', op: '=', value: prevRev },
  );
}

/**
 * The engine's view of the registry: the map phase checks it once per process; the closer syncs
 * with it before each batch (registering, adopting, binding each history to its storage key).
 */
export class StreamRegistry {
  /** The revision and layout this process last ran batches under. */
  private accepted: { rev: number; layout: string; plan: IdentityPlan } | undefined;
  private checked = false;

  constructor(private readonly ctx: EngineContext) {}

  /** Refuses (IncompatibleStateError) a plan the stored streams cannot resume; reads once per process. */
  async check(plan: IdentityPlan): Promise<void> {
    if (this.checked) return;
    const registry = await readRegistry(this.ctx);
    const r = reconcile(plan, registry, this.ctx.intervalMs, (registry?.rev ?? 0) + 1);
    if (r.problems.length > 0) throw new IncompatibleStateError(this.ctx.pipeline, r.problems);
    this.checked = true;
  }

  /**
   * Before a batch: reconciles `plan` with the registry, writes it if needed, binds the histories,
   * and returns the revision the batch runs under. Throws IncompatibleStateError (nothing written)
   * or SupersededError (a newer code version registered its streams after this closer's).
   */
  async sync(plan: IdentityPlan): Promise<number> {
    const { ctx } = this;
    for (;;) {
      const registry = await readRegistry(ctx);
      const accepted = this.accepted;
      const aged = registry !== undefined && ctx.now() - registry.writtenAt >= ctx.retentionMs / 2;
      if (registry && accepted?.plan === plan && registry.rev === accepted.rev && !aged) return registry.rev;
      if (registry && accepted && registry.layout !== accepted.layout && registry.rev > accepted.rev)
        throw new SupersededError(ctx.pipeline);
      const rev = (registry?.rev ?? 0) + 1;
      const r = reconcile(plan, registry, ctx.intervalMs, rev);
      if (r.problems.length > 0) throw new IncompatibleStateError(ctx.pipeline, r.problems);
      let runRev = registry?.rev ?? 0;
      if (r.changed || aged || !registry) {
        if (!(await writeRegistry(ctx, r.body, rev, registry?.rev))) continue; // raced: read again
        runRev = rev;
        for (const n of r.notes) ctx.log(`stream registry: ${n}`);
      }
      bindAll(plan, r.body);
      this.accepted = { rev: runRev, layout: plan.layout, plan };
      this.checked = true;
      return runRev;
    }
  }

  /** The storage key of each stored stream of `plan`, as the registry says (inspection: binds nothing). */
  async storageKeys(plan: Pick<IdentityPlan, 'stored'>): Promise<Map<DStream<unknown>, string>> {
    const registry = await readRegistry(this.ctx);
    const out = new Map<DStream<unknown>, string>();
    for (const s of plan.stored) {
      const e = registry?.streams[s.id];
      if (e) out.set(s.stream, e.key);
    }
    return out;
  }
}

/** Binds each history of `plan` to its registered storage key (streams not registered stay unbound). */
function bindAll(plan: IdentityPlan, body: RegistryBody): void {
  for (const s of plan.stored) {
    const e = body.streams[s.id];
    const h = plan.histories.get(s.stream);
    if (e && h) h.bind({ key: e.key, rev: e.rev, ...(e.initial ? { initial: e.initial } : {}) });
  }
}

/** The fingerprint of a history stream stored as `storage`. */
export function fingerprintOf(
  stream: DStream<unknown>,
  identity: Pick<StreamIdentity, 'kind' | 'params'>,
  storage: Fingerprint['storage'],
): Fingerprint {
  const windowMs = storage === 'panes' ? undefined : identity.params.windowMs;
  const schema = stream.naming?.schema;
  return {
    storage,
    kind: identity.kind,
    slideMs: stream.slideDuration,
    ...(typeof windowMs === 'number' ? { windowMs } : {}),
    ...(schema !== undefined ? { schema } : {}),
  };
}
