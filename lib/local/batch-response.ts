/**
 * Reads a handler's answer the way Lambda does with ReportBatchItemFailures on (AWS "Configuring
 * partial batch response with Kinesis Data Streams and Lambda", success and failure conditions):
 *
 * - complete success: no response, an empty response, `batchItemFailures` null or empty;
 * - partial failure: valid item identifiers; Lambda checkpoints before the LOWEST sequence number
 *   reported and retries everything from it;
 * - complete failure: an item identifier that is empty, null, of the wrong key, or not the
 *   sequence number of a record of the batch.
 */
import { compareSequenceNumbers, isSequenceNumber } from './sequence';

/** What became of an invocation. */
export type BatchOutcome =
  | { kind: 'success' }
  /** Records before `index` succeeded; `index` (the lowest failed) and after are retried. */
  | { kind: 'partial'; index: number }
  /** The whole batch failed: the handler threw, or its response was invalid. */
  | { kind: 'failed'; error: string };

/**
 * The outcome of a response, given the sequence numbers of the batch in order.
 *
 * @example
 * parseBatchResponse({ batchItemFailures: [{ itemIdentifier: '12' }, { itemIdentifier: '11' }] }, ['10', '11', '12'])
 * // { kind: 'partial', index: 1 }
 */
export function parseBatchResponse(response: unknown, sequenceNumbers: readonly string[]): BatchOutcome {
  if (response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return invalid(`batchItemFailures must be an array of { itemIdentifier }, got ${describe(failures)}`);
  }
  if (failures.length === 0) return { kind: 'success' };

  const positions = new Map(sequenceNumbers.map((seq, i) => [seq, i]));
  let lowest: string | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (!isSequenceNumber(id)) {
      return invalid(
        `itemIdentifier ${describe(id)} is not a sequence number (each batchItemFailures entry must be ` +
          `{ itemIdentifier: record.kinesis.sequenceNumber })`,
      );
    }
    if (!positions.has(id))
      return invalid(`itemIdentifier ${id} is not the sequence number of a record of this batch`);
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  return { kind: 'partial', index: positions.get(lowest as string) as number };
}

function invalid(reason: string): BatchOutcome {
  return { kind: 'failed', error: `invalid batch response, the whole batch counts as failed: ${reason}` };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
