/**
 * The single-table key layout of the serverless engine (pk/sk strings). Every partition key names
 * the pipeline, so pipelines share a table without meeting; the write-heavy partitions are per
 * shard, per stream and batch, or per snapshot page, so that no partition key is hot.
 */

/** Zero-pads a decimal sequence number to 64 digits so that string order equals numeric order. */
export function padSeq(seq: string | bigint): string {
  const s = typeof seq === 'bigint' ? seq.toString() : seq;
  if (!/^\d{1,64}$/.test(s))
    throw new Error(`invalid Kinesis sequence number "${s}": expected up to 64 decimal digits.`);
  return s.padStart(64, '0');
}

/** Zero-pads a batch time (ms) to 15 digits so that string order equals time order. */
export function padTime(t: number): string {
  return String(t).padStart(15, '0');
}

export const keys = {
  /** The pipeline's progress (next batch to close, zero time): sk `progress`. */
  meta: (p: string) => `p#${p}#meta`,
  progressSk: 'progress',
  /** Each shard's head (last committed position, watermark): sk = the shard key. */
  heads: (p: string) => `p#${p}#heads`,
  /** A shard's log of committed map-phase entries: sk = the entry's key (the position before it). */
  log: (p: string, shardKey: string) => `p#${p}#log#${shardKey}`,
  /** Close claims with the batch's fixed content (sk = padTime(T)) and done markers (sk = padTime(T)#done). */
  close: (p: string) => `p#${p}#close`,
  claimSk: (t: number) => padTime(t),
  doneSk: (t: number) => `${padTime(t)}#done`,
  /** One batch of a stream read at past times by windows: sk `pane`. */
  pane: (p: string, stream: string, t: number) => `p#${p}#pane#${stream}#${padTime(t)}`,
  paneSk: 'pane',
  /** The changes of a keyed state stream since its snapshot at `epoch`: sk = padTime(batch time). */
  delta: (p: string, stream: string, epoch: number) => `p#${p}#delta#${stream}#${padTime(epoch)}`,
  /** Page `i` of a keyed state stream's snapshot at `epoch`: sk `page`. */
  page: (p: string, stream: string, epoch: number, i: number) =>
    `p#${p}#snap#${stream}#${padTime(epoch)}#${i}`,
  pageSk: 'page',
};
