import { Logger } from '@aws-lambda-powertools/logger';

/** Structured log lines of the handlers and the engine: a message and flat fields. */
export interface RuntimeLog {
  /** What happened normally and is worth a line (e.g. a batch completed, for the dashboard's table). */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something skipped or retried (an undecodable record, a late record, a takeover). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure that will be retried or needs attention. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Logs through the Powertools logger: one JSON object per line with level, timestamp, service,
 * the Lambda context's request id when set, the message and the fields (CloudWatch Logs Insights
 * discovers them as fields). Level from POWERTOOLS_LOG_LEVEL, default INFO.
 */
export class PowertoolsRuntimeLog implements RuntimeLog {
  readonly logger: Logger;

  constructor(pipeline: string) {
    this.logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? pipeline });
  }

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.logger.info(message, fields);
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.logger.warn(message, fields);
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.logger.error(message, fields);
  }
}

/**
 * Warnings and errors as JSON lines on stderr (`{"level":"WARN","message":...,...fields}`); info
 * lines are dropped (the local runner prints its own status line per batch).
 */
export class ConsoleRuntimeLog implements RuntimeLog {
  info(): void {}

  warn(message: string, fields: Record<string, unknown> = {}): void {
    console.error(JSON.stringify({ level: 'WARN', message, ...fields }));
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    console.error(JSON.stringify({ level: 'ERROR', message, ...fields }));
  }
}

/** Powertools in Lambda (AWS_LAMBDA_FUNCTION_NAME set), JSON warnings on stderr elsewhere. */
export function defaultRuntimeLog(pipeline: string): RuntimeLog {
  return process.env.AWS_LAMBDA_FUNCTION_NAME ? new PowertoolsRuntimeLog(pipeline) : new ConsoleRuntimeLog();
}
