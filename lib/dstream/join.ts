import { DStream } from './dstream';

declare module './dstream' {
  interface DStream<T> {
    /**
     * On pair streams: `[k, [v, w]]` for every pair of values of a key present in both batches.
     * @example clicks.join(views)
     */
    join<K, V, W>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V, W]]>;
    /** As `join`, keeping keys missing from `other` as `[k, [v, undefined]]`. */
    leftOuterJoin<K, V, W>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V, W | undefined]]>;
    /** As `join`, keeping keys missing from this stream as `[k, [undefined, w]]`. */
    rightOuterJoin<K, V, W>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V | undefined, W]]>;
    /** As `join`, keeping keys missing from either side, with `undefined` on the missing side. */
    fullOuterJoin<K, V, W>(
      this: DStream<[K, V]>,
      other: DStream<[K, W]>,
      numPartitions?: number,
    ): DStream<[K, [V | undefined, W | undefined]]>;
  }
}

// Joins are cogroup plus a flatMap (STYLE: compose where the logic is not new), as Spark's.

DStream.prototype.join = function <K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, n?: number) {
  return this.cogroup(other, n).flatMap(([k, [vs, ws]]) => {
    const out: [K, [V, W]][] = [];
    for (const v of vs) for (const w of ws) out.push([k, [v, w]]);
    return out;
  });
};

DStream.prototype.leftOuterJoin = function <K, V, W>(
  this: DStream<[K, V]>,
  other: DStream<[K, W]>,
  n?: number,
) {
  return this.cogroup(other, n).flatMap(([k, [vs, ws]]) => {
    const out: [K, [V, W | undefined]][] = [];
    for (const v of vs) {
      if (ws.length === 0) out.push([k, [v, undefined]]);
      else for (const w of ws) out.push([k, [v, w]]);
    }
    return out;
  });
};

DStream.prototype.rightOuterJoin = function <K, V, W>(
  this: DStream<[K, V]>,
  other: DStream<[K, W]>,
  n?: number,
) {
  return this.cogroup(other, n).flatMap(([k, [vs, ws]]) => {
    const out: [K, [V | undefined, W]][] = [];
    if (vs.length === 0) for (const w of ws) out.push([k, [undefined, w]]);
    else for (const v of vs) for (const w of ws) out.push([k, [v, w]]);
    return out;
  });
};

DStream.prototype.fullOuterJoin = function <K, V, W>(
  this: DStream<[K, V]>,
  other: DStream<[K, W]>,
  n?: number,
) {
  return this.cogroup(other, n).flatMap(([k, [vs, ws]]) => {
    const out: [K, [V | undefined, W | undefined]][] = [];
    if (vs.length === 0) for (const w of ws) out.push([k, [undefined, w]]);
    else if (ws.length === 0) for (const v of vs) out.push([k, [v, undefined]]);
    else for (const v of vs) for (const w of ws) out.push([k, [v, w]]);
    return out;
  });
};
