/**
 * Panes: the batches of a stream that windows read at past times (a window's parent, the reduced
 * batches of reduceByKeyAndWindow). A pane is a pure function of its batch's fixed content, written
 * once per batch as one item and never changed; a warm closer keeps the panes its windows still
 * read in memory, so a window batch reads nothing it has seen, and a cold one reads only the panes
 * in its window. Writes: one pane item per batch and stream, with a TTL of its remember duration
 * plus the pipeline's retention.
 */
import { decode, encode } from '../codec';
import type { DStream } from '../../dstream/dstream';
import { RDD } from '../../dstream/rdd';
import type { EngineContext } from './context';
import { MissingHistoryError } from './errors';
import { keys } from './keys';
import type { Done } from './claims';
import type { Binding } from './stream-registry';

/** The stored batches of one pane stream, recent ones in memory. */
export class PaneHistory {
  private readonly cache = new Map<number, RDD<unknown> | undefined>();
  private pending: { time: number; rdd: RDD<unknown> | undefined } | undefined;
  /** Where the stream's panes are (from the stream registry). */
  private binding: Binding | undefined;

  constructor(
    private readonly ctx: EngineContext,
    readonly stream: DStream<unknown>,
  ) {}

  /** The storage key of the stream's panes (bound by the stream registry before a batch). */
  get key(): string {
    if (!this.binding) throw new Error(`internal: ${this.stream.name} is not bound to the stream registry`);
    return this.binding.key;
  }

  /** Binds the stream to its storage key; a new key drops the panes in memory. */
  bind(binding: Binding): void {
    if (this.binding?.key !== binding.key) {
      this.cache.clear();
      this.pending = undefined;
    }
    this.binding = binding;
  }

  /**
   * Loads the panes at `times` not in memory. A batch that ran before the stream was registered
   * (its done marker's revision is earlier) has no pane of it: windows over it start empty.
   */
  async prepare(
    times: readonly number[],
    doneAt: (time: number) => Promise<Done | undefined>,
  ): Promise<void> {
    const missing = times.filter((t) => !this.cache.has(t));
    const items = await Promise.all(
      missing.map((t) => this.ctx.store.get(keys.pane(this.ctx.pipeline, this.key, t), keys.paneSk)),
    );
    await Promise.all(
      missing.map(async (t, i) => {
        const item = items[i];
        if (!item) {
          const done = await doneAt(t);
          if (done && (done.rev ?? 0) < (this.binding?.rev ?? 0)) {
            this.cache.set(t, undefined);
            return;
          }
          throw new MissingHistoryError(this.stream.name, t);
        }
        const parts = decode<unknown[][] | null>(item.data as Uint8Array);
        this.cache.set(t, parts ? new RDD(parts) : undefined);
      }),
    );
  }

  /** The pane at `time` (prepared first). */
  lookup(time: number): RDD<unknown> | undefined {
    if (!this.cache.has(time)) throw new MissingHistoryError(this.stream.name, time);
    return this.cache.get(time);
  }

  /** Stores this batch's pane. */
  async persist(t: number, rdd: RDD<unknown> | undefined): Promise<void> {
    await this.ctx.store.put({
      pk: keys.pane(this.ctx.pipeline, this.key, t),
      sk: keys.paneSk,
      data: encode(rdd ? rdd.partitions : null),
      expiresAt: this.ctx.ttl(this.stream.rememberMs + this.stream.slideDuration),
    });
    this.pending = { time: t, rdd };
  }

  /** The batch is done: its pane joins the ones in memory; panes no window reads any more go. */
  commit(batchTime: number): void {
    if (this.pending) this.cache.set(this.pending.time, this.pending.rdd);
    this.pending = undefined;
    const oldest = batchTime - this.stream.rememberMs - this.stream.slideDuration;
    for (const t of this.cache.keys()) if (t <= oldest) this.cache.delete(t);
  }

  /** The batch failed: its pane is not kept (the stored panes of earlier batches stay valid). */
  abort(): void {
    this.pending = undefined;
  }
}
