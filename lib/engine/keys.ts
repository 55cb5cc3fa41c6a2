/** The single-table key layout of the serverless engine (pk/sk strings, DESIGN 3.4). */

/** Zero-pads a decimal sequence number to 64 digits so that string order equals BigInt order. */
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
  meta: (p: string) => `p#${p}#meta`,
  progressSk: 'progress',
  shardSk: (shardId: string) => `shard#${shardId}`,
  partial: (p: string, t: number) => `p#${p}#partial#${padTime(t)}`,
  partialSk: (shardId: string, firstSeq: string) => `${shardId}#${padSeq(firstSeq)}`,
  close: (p: string) => `p#${p}#close`,
  history: (p: string, streamKey: string) => `p#${p}#hist#${streamKey}`,
};
