/**
 * Errors of the CDK app and the DStreamPipeline construct: one class per kind, each message says
 * what was wrong, with the values, and what to do.
 */

/** A prop of {@link DStreamPipeline} is out of range or contradicts another prop. */
export class PipelineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineConfigError';
  }
}

/** The pipeline chosen with `-c pipeline=NAME` has no folder (or no pipeline.ts / index.ts) under functions/. */
export class PipelineNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineNotFoundError';
  }
}

/** The pipeline's module cannot be loaded: its definition is invalid (a bad window, no output, no Kinesis source) or it throws. */
export class PipelineLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineLoadError';
  }
}
