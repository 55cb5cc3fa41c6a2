/** Errors of the serverless engine: one class per kind, each saying what happened and what to do. */

/** Thrown when a batch cannot be computed from the store (missing history): never silently wrong. */
export class MissingHistoryError extends Error {
  constructor(stream: string, time: number) {
    super(
      `history of ${stream} at ${time} ms is missing from the state store (expired past the pipeline's retention, ` +
        "or the pipeline's operations changed since it was written). Reset the pipeline state (delete its items) " +
        'after changing its operations, or raise `retention`.',
    );
    this.name = 'MissingHistoryError';
  }
}

/** A closer whose lease ran out stops before running outputs or writing state (another closer may hold the batch). */
export class ClaimLostError extends Error {
  constructor(readonly batchTime: number) {
    super(
      `batch ${batchTime}: this closer's lease ran out; stopping (another closer takes the batch over, with the same content).`,
    );
    this.name = 'ClaimLostError';
  }
}

/** Records of one shard given to a map phase must come from one shard, in order. */
export class MapPhaseInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MapPhaseInputError';
  }
}
