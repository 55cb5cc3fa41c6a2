import { DStream } from './dstream';
import type { StreamingContext } from './context';

/** Options of `named`. */
export interface NamedOptions {
  /**
   * A label for the format of the stream's stored state (e.g. `'v2'` or `'count:number'`): change
   * it when the state's shape changes, and the serverless engine refuses to read the state stored
   * under the old label instead of misreading it. @default none
   */
  schema?: string;
}

/** What `named` gave a stream: the user's name, or a name derived from a named composite. */
export interface StreamNaming {
  /** The stream's id in stored data: the user's name, or `<name>/<i>` for part i of a named composite. */
  readonly name: string;
  /** True when the user named this stream itself (not a part of a composite it named). */
  readonly explicit: boolean;
  readonly schema?: string;
}

declare module './dstream' {
  interface DStream<T> {
    /** Set by `named`: this stream's stable id in stored data. */
    naming?: StreamNaming;
    /**
     * Streams created inside the operator call that returned this stream (composites such as
     * reduceByKeyAndWindow, mapWithState): `named` names them after this one.
     */
    parts?: DStream<unknown>[];
    /**
     * Gives the stream a stable name: the serverless engine stores its state (and its inner streams'
     * history) under this name, so the state survives changes elsewhere in the pipeline (a filter
     * added upstream, outputs added or removed). Letters, digits, `_`, `-` and `.`; unique in the
     * pipeline. Returns the same stream.
     * @example counts.updateStateByKey(add).named('totals')
     */
    named(name: string, options?: NamedOptions): this;
  }
}

/** A name that `named` refuses: not a valid name, or used twice. */
export class InvalidStreamNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStreamNameError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

DStream.prototype.named = function <S extends DStream<unknown>>(
  this: S,
  name: string,
  options: NamedOptions = {},
): S {
  this.ssc.graph.checkDefinable('name a stream');
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidStreamNameError(
      `named(${JSON.stringify(name)}): a stream name is 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit (it names the stream's stored state).`,
    );
  }
  if (options.schema !== undefined && (typeof options.schema !== 'string' || options.schema.length === 0)) {
    throw new InvalidStreamNameError(
      `named('${name}', { schema }): schema must be a non-empty string, got ${JSON.stringify(options.schema)}.`,
    );
  }
  if (this.naming?.explicit) {
    throw new InvalidStreamNameError(
      `named('${name}'): this stream is already named '${this.naming.name}'; a stream has one name.`,
    );
  }
  const taken = this.ssc.graph.streams.find((s) => s.naming?.explicit && s.naming.name === name);
  if (taken) {
    throw new InvalidStreamNameError(
      `named('${name}'): another stream (${taken.name}) already has this name; names are unique in a pipeline.`,
    );
  }
  this.naming = { name, explicit: true, ...(options.schema !== undefined ? { schema: options.schema } : {}) };
  (this.parts ?? []).forEach((p, i) => {
    if (!p.naming?.explicit)
      p.naming = {
        name: `${name}/${i}`,
        explicit: false,
        ...(options.schema !== undefined ? { schema: options.schema } : {}),
      };
  });
  return this;
};

/**
 * Runs `build` (the body of a composite operator) and records the streams it creates as the parts
 * of the stream it returns, so that naming the result names them too (`<name>/<i>`, in creation
 * order: stable while the operator's code is).
 * @example return composite(this.ssc, () => this.reduceByKey(fn).window(w, s).reduceByKey(fn));
 */
export function composite<S extends DStream<any>>(ssc: StreamingContext, build: () => S): S {
  const before = ssc.graph.streams.length;
  const result = build();
  const created = ssc.graph.streams.slice(before).filter((s) => s !== result);
  if (created.length > 0) result.parts = created;
  return result;
}
