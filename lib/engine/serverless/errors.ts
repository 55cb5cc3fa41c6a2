/** Errors of the serverless engine: one class per kind, each saying what happened and what to do. */

/** Thrown when a batch cannot be computed from the store (missing history): never silently wrong. */
export class MissingHistoryError extends Error {
  constructor(stream: string, time: number) {
    super(
      `history of ${stream} at ${time} ms is missing from the state store (expired past the pipeline's retention: ` +
        'the closer was stopped for longer than it). Raise `retention`, or start the stream over: ' +
        '`dstream state reset <pipeline> --stream <id>` (`dstream inspect` lists the stored streams).',
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

/** One reason a pipeline's code cannot resume from its stored state. */
export interface StateProblem {
  /** The stream's id (its name, or `<kind>@<hash>`): what `dstream state reset --stream` takes. */
  stream: string;
  message: string;
}

/**
 * The pipeline's code does not match its stored state (a stream's operator, window or schema
 * changed under the same id; a stream holding state is gone; look-alike streams holding state are
 * unnamed; the batch interval changed). Thrown before anything is written, by the map phase at its
 * first invocation and by the closer before each batch: one stream's state is never read as
 * another's.
 */
export class IncompatibleStateError extends Error {
  constructor(
    readonly pipeline: string,
    readonly problems: StateProblem[],
  ) {
    super(
      `pipeline '${pipeline}': this version of the code cannot resume from the stored state (nothing was written):\n` +
        problems.map((p) => `  - ${p.message}`).join('\n') +
        '\nWays forward: keep the previous definition of these streams; or name stateful streams with ' +
        ".named('...') so their ids do not depend on the operators around them (deploy the previous " +
        'definition with the names first: a name adopts the state of the stream it is given to); or start ' +
        `a stream empty: \`dstream state reset ${pipeline} --stream <id>\`; or move its state: \`dstream state ` +
        `export ${pipeline} --stream <id>\`, transform the JSON lines, and \`dstream state import ${pipeline} ` +
        `--stream <new id>\`. \`dstream state check ${pipeline}\` runs this check before a deploy.`,
    );
    this.name = 'IncompatibleStateError';
  }
}

/**
 * A batch holds records that another version of the pipeline mapped (committed before a deploy),
 * into stream data that this version cannot place without misreading it. Thrown by the closer
 * before any output or write of the batch.
 */
export class MapStageChangedError extends Error {
  constructor(
    readonly batchTime: number,
    readonly reasons: string[],
  ) {
    super(
      `batch ${batchTime}: it holds records mapped by another version of the pipeline, whose map-side data ` +
        `this version cannot place:\n${reasons.map((r) => `  - ${r}`).join('\n')}\n` +
        'Ways forward: deploy the previous version until this batch has closed (`dstream inspect` lists the ' +
        'open batches), then this one; or name the stateful streams these records feed (`.named()`), so that ' +
        'their map-side data is matched by name.',
    );
    this.name = 'MapStageChangedError';
  }
}

/**
 * A newer version of the pipeline registered its streams since this closer accepted them: this
 * (older) closer stops closing batches, quietly, and leaves them to the newer one.
 */
export class SupersededError extends Error {
  constructor(readonly pipeline: string) {
    super(
      `pipeline '${pipeline}': a newer version of the pipeline's code now closes its batches; this closer stops.`,
    );
    this.name = 'SupersededError';
  }
}

/** `dstream state export|import|reset` cannot do what was asked; the message says why and what to do. */
export class StateTransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateTransferError';
  }
}
