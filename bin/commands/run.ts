/**
 * `dstream run <pipeline>`: the whole serverless pipeline on this machine. Embedded kinesalite,
 * dynalite and s3rver (or --endpoint, e.g. LocalStack), the local event-source poller invoking the
 * pipeline's Lambda handler, the scheduled closer; pprint output on stdout, one status line per
 * closed batch on stderr, the Streaming UI on http://localhost:4040/ (or the next free port). With `--input -` it also sends stdin's lines to the stream: typed lines on
 * a terminal (until Ctrl-C); piped input is read to the end, its last batch closed, and it exits 0.
 * Ctrl-C or SIGTERM stop it (input closed, lines read so far sent, poller and emulators stopped),
 * with exit code 0; a second Ctrl-C kills it at once.
 *
 * @example
 * dstream run network-wordcount --input -
 * printf 'a b a\n' | dstream run network-wordcount --input -
 */
import * as readline from 'readline';
import * as fs from 'fs';
import { InvalidArgumentError, type Command } from 'commander';
import { startLocalRun } from '../../lib/local/runner';
import { kinesisClient } from '../../lib/local/clients';
import { produce } from '../../lib/local/producer';
import { DEFAULT_UI_PORT } from '../../lib/local/ui/server';
import { loadPipeline } from './pipelines';
import { CliError } from './common';

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

// Parsers throw InvalidArgumentError, so that commander's message names the flag and its value:
// "error: option '--shards <n>' argument '1.5' is invalid. expected a whole number >= 1, got '1.5'."
function nonNegative(v: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of seconds >= 0, got '${v}'.`);
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535)
    throw new CliError(`--ui-port: expected a port from 0 to 65535, got '${v}'.`);
  return n;
}

function positiveInteger(v: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number >= 1, got '${v}'.`);
  return n;
}

/** Signals this soon after the first are the same interrupt delivered twice, not a second one. */
const DUPLICATE_SIGNAL_MS = 1000;

/** The command's body. Resolves when the run is over (piped input drained, or Ctrl-C / SIGTERM). */
export async function runPipeline(name: string, flags: RunFlags): Promise<void> {
  const pipeline = loadPipeline(name);
  // Checked before any emulator starts: a wrong path fails at once.
  const source =
    flags.input === undefined ? undefined : flags.input === '-' ? process.stdin : openInput(flags.input);
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
  // The first Ctrl-C or SIGTERM asks for a stop: the input is closed (its lines read so far are
  // sent), then the poller, the closer and the emulators stop. One Ctrl-C can arrive twice (the
  // terminal signals the whole process group, and `npm start` forwards it again): repeats within a
  // second are that; a later one exits at once.
  let stopRequested = false;
  let firstSignalAt = 0;
  let requestStop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (requestStop = resolve));
  const onSignal = () => {
    if (!stopRequested) {
      stopRequested = true;
      firstSignalAt = Date.now();
      requestStop();
    } else if (Date.now() - firstSignalAt > DUPLICATE_SIGNAL_MS) {
      process.stderr.write('[dstream] interrupted again: exiting without waiting for the stop.\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (!source) {
      await stopSignal;
      return;
    }
    const lines = readline.createInterface({ input: source, crlfDelay: Infinity });
    const client = kinesisClient({ endpoint: e.kinesis });
    try {
      const producing = produce(lines, { client, streamName: e.stream, partitionKey: 'random' });
      await Promise.race([producing, stopSignal]);
      if (stopRequested) {
        // readline never ends on its own while the terminal is open: close it, and stdin with it.
        lines.close();
        source.destroy();
        await producing.catch(() => undefined);
        return;
      }
      const result = await producing;
      // Piped input read to its end, or Ctrl-D on a terminal: close batches until the last one is out.
      const draining = run.drain(120_000);
      await Promise.race([draining, stopSignal]);
      // After a stop request the drain ends by itself (the poller stops): only its outcome is dropped.
      if (stopRequested) draining.catch(() => undefined);
      else await draining;
      if (!interactive && !stopRequested)
        process.stderr.write(`[dstream] ${result.sent} lines sent and processed; last batch closed.\n`);
    } finally {
      client.destroy();
    }
  } finally {
    // The handlers stay until the run has stopped: a repeat of the first Ctrl-C (npm forwards it)
    // that arrives while the emulators stop must not kill the process with the default action.
    await run.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (stopRequested) process.exitCode = 0;
  }
}

/** A readable --input file, checked now (before the emulators start). */
function openInput(file: string): fs.ReadStream {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new CliError(`--input: cannot read '${file}' (${reason}). Give a file of lines, or '-' for stdin.`);
  }
  if (!stat.isFile())
    throw new CliError(`--input: '${file}' is not a file. Give a file of lines, or '-' for stdin.`);
  return fs.createReadStream(file);
}
