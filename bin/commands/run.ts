/**
 * `dstream run <pipeline>`: the whole serverless pipeline on this machine. Embedded kinesalite,
 * dynalite and s3rver (or --endpoint, e.g. LocalStack), the local event-source poller invoking the
 * pipeline's Lambda handler, the scheduled closer; pprint output on stdout, one status line per
 * closed batch on stderr, the Streaming UI on http://localhost:4040/ (or the next free port). With `--input -` it also sends stdin's lines to the stream: typed lines on
 * a terminal (until Ctrl-C); piped input is read to the end, its last batch closed, and it exits 0.
 *
 * @example
 * dstream run network-wordcount --input -
 * printf 'a b a\n' | dstream run network-wordcount --input -
 */
import * as readline from 'readline';
import * as fs from 'fs';
import type { Command } from 'commander';
import { startLocalRun } from '../../lib/local/runner';
import { kinesisClient } from '../../lib/local/clients';
import { produce } from '../../lib/local/producer';
import { DEFAULT_UI_PORT } from '../../lib/local/ui/server';
import { loadPipeline } from './pipelines';
import { CliError, positiveNumber } from './common';

/** The flags of `dstream run`. */
export interface RunFlags {
  shards: number;
  data?: string;
  endpoint?: string;
  input?: string;
  batchSize: number;
  batchingWindow: number;
  lateness?: number;
  /** False with --no-ui. */
  ui: boolean;
  uiPort: number;
}

/** Registers `dstream run` on the program. */
export function registerRunCommand(program: Command): Command {
  return program
    .command('run')
    .description(
      'run a pipeline locally: embedded Kinesis, DynamoDB and S3 emulators, the Lambda handler, the closer',
    )
    .argument(
      '<pipeline>',
      'a folder name under functions/ (e.g. network-wordcount) or a path to a pipeline module',
    )
    .option('--shards <n>', 'shards of the stream', (v) => positiveInteger(v), 2)
    .option('--data <dir>', "persist the emulators' data in this directory (default: in memory)")
    .option(
      '--endpoint <url>',
      'use this endpoint (e.g. LocalStack) instead of embedded emulators (default: $AWS_ENDPOINT_URL)',
    )
    .option('--input <file|->', "also send this file's lines (or stdin's with '-') to the stream")
    .option('--batch-size <n>', 'records per handler invocation', (v) => positiveInteger(v), 500)
    .option(
      '--batching-window <s>',
      'seconds the event source gathers records before invoking',
      (v) => nonNegative(v),
      0,
    )
    .option(
      '--lateness <s>',
      "seconds an idle shard holds a batch (default: the pipeline's allowedLateness); smaller prints sooner, records read later are late",
      (v) => nonNegative(v),
    )
    .option(
      '--ui-port <n>',
      'port of the Streaming UI (the next free one if taken; 0: any free port)',
      (v) => port(v),
      DEFAULT_UI_PORT,
    )
    .option('--no-ui', 'do not serve the Streaming UI')
    .action((pipeline: string, flags: RunFlags) => runPipeline(pipeline, flags));
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`expected a number of seconds >= 0, got '${v}'.`);
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535)
    throw new CliError(`--ui-port: expected a port from 0 to 65535, got '${v}'.`);
  return n;
}

function positiveInteger(v: string): number {
  const n = positiveNumber(v);
  if (!Number.isInteger(n)) throw new CliError(`expected a whole number, got '${v}'.`);
  return n;
}

/** The command's body. Resolves when the run is over (piped input drained, or Ctrl-C). */
export async function runPipeline(name: string, flags: RunFlags): Promise<void> {
  const pipeline = loadPipeline(name);
  const run = await startLocalRun({
    pipeline,
    shards: flags.shards,
    dataDir: flags.data,
    endpoint: flags.endpoint,
    batchSize: flags.batchSize,
    maximumBatchingWindowInSeconds: flags.batchingWindow,
    allowedLateness: flags.lateness,
    ui: flags.ui ? { port: flags.uiPort } : false,
  });
  const e = run.endpoints;
  const interactive = flags.input === '-' && process.stdin.isTTY;
  process.stderr.write(
    `[dstream] ${pipeline.name}: stream ${e.stream} (${flags.shards} shards), table ${e.table}, bucket ${e.bucket}\n` +
      `[dstream] kinesis ${e.kinesis ?? 'AWS'}  dynamodb ${e.dynamodb ?? 'AWS'}  s3 ${e.s3 ?? 'AWS'}\n` +
      (run.ui
        ? `[dstream] Streaming UI: ${run.ui.url}` +
          (run.ui.port !== flags.uiPort && flags.uiPort !== 0 ? ` (port ${flags.uiPort} was taken)` : '') +
          '\n'
        : '') +
      (flags.input
        ? interactive
          ? '[dstream] type lines; counts print every batch. Ctrl-C stops.\n'
          : ''
        : `[dstream] send lines from another terminal: npx dstream produce --stream ${e.stream}${e.kinesis ? ` --endpoint ${e.kinesis}` : ''} < file\n`),
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await run.stop();
    process.exitCode = code;
  };
  const onSignal = () => void stop(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!flags.input) {
      await new Promise<void>((resolve) => {
        const check = setInterval(() => stopping && (clearInterval(check), resolve()), 200);
      });
      return;
    }
    const source = flags.input === '-' ? process.stdin : openInput(flags.input);
    const lines = readline.createInterface({ input: source, crlfDelay: Infinity });
    const client = kinesisClient({ endpoint: e.kinesis });
    try {
      const result = await produce(lines, { client, streamName: e.stream, partitionKey: 'random' });
      if (!interactive) {
        await run.drain(120_000);
        process.stderr.write(`[dstream] ${result.sent} lines sent and processed; last batch closed.\n`);
      }
    } finally {
      client.destroy();
    }
    if (interactive && !stopping) {
      // stdin closed (Ctrl-D): keep closing batches until the last one is out.
      await run.drain(120_000);
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stop(typeof process.exitCode === 'number' ? process.exitCode : 0);
  }
}

function openInput(file: string): fs.ReadStream {
  if (!fs.existsSync(file)) throw new CliError(`--input: no such file '${file}'.`);
  return fs.createReadStream(file);
}
