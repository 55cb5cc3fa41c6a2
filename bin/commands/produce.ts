/**
 * `dstream produce`: send lines from files or stdin to a Kinesis stream, one record per line (or,
 * with `--aggregate`, many lines per KPL-aggregated record).
 *
 * Progress goes to stderr: a bar with the rate when reading files on a terminal, a running count
 * when typing on a terminal, and only a closing summary line when piped.
 *
 * @example
 * dstream produce --stream lines --endpoint http://127.0.0.1:4567 words.txt
 * yes hello | head -n 100000 | dstream produce --stream lines --rate 1000
 * seq 100 | dstream produce --stream lines --aggregate
 */
import * as fs from 'fs';
import * as readline from 'readline';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Option } from 'commander';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { kinesisClient } from '../../lib/local/clients';
import { produce } from '../../lib/local/producer';
import type { ProduceProgress } from '../../lib/local/producer';
import { CliError, describeTarget, positiveNumber } from './common';
import type { AwsFlags } from './common';

/** The flags of `dstream produce`. */
export interface ProduceFlags extends AwsFlags {
  stream: string;
  rate?: number;
  partitionKey: 'random' | 'line';
  aggregate?: boolean;
}

/** Registers `dstream produce` on the program. */
export function registerProduceCommand(program: Command): Command {
  return program
    .command('produce')
    .description('send lines to a Kinesis stream, one record per line (the `nc -lk` of the serverless world)')
    .argument('[files...]', 'files to read lines from (default: stdin)')
    .requiredOption('--stream <name>', 'Kinesis stream to send to')
    .option(
      '--endpoint <url>',
      'Kinesis endpoint, e.g. http://127.0.0.1:4567 (default: $AWS_ENDPOINT_URL, else AWS)',
    )
    .option('--region <region>', 'AWS region (default: $AWS_REGION, else us-east-1)')
    .option('--rate <lines/s>', 'send at most this many lines per second', positiveNumber)
    .addOption(
      new Option(
        '--partition-key <mode>',
        "'random' spreads lines over shards, 'line' sends equal lines to one shard",
      )
        .choices(['random', 'line'])
        .default('random'),
    )
    .option(
      '--aggregate',
      "pack lines into KPL-aggregated records (the Kinesis Producer Library's format, up to 50 KiB each), as high-volume producers do",
    )
    .action((files: string[], flags: ProduceFlags) => runProduce(files, flags));
}

/** The command's body: check the stream and files, send, report. */
export async function runProduce(files: string[], flags: ProduceFlags): Promise<void> {
  if (flags.aggregate && flags.partitionKey === 'line') {
    throw new CliError(
      '--aggregate puts many lines in one record, which goes to one shard, so --partition-key line cannot keep equal lines on one shard: use --aggregate alone.',
    );
  }
  const totalBytes = files.reduce((sum, file) => sum + fileSize(file), 0);
  const client = kinesisClient({ endpoint: flags.endpoint, region: flags.region });
  try {
    await checkStream(client, flags);
    const input = new LineInput(files);
    const view = progressView(files.length > 0, totalBytes, input);
    const started = Date.now();
    try {
      const result = await produce(input.lines(), {
        client,
        streamName: flags.stream,
        partitionKey: flags.partitionKey,
        rate: flags.rate,
        aggregate: flags.aggregate,
        onProgress: (p) => view.update(p),
      });
      view.done();
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const lines = result.linesSent ?? result.sent;
      process.stderr.write(
        `dstream produce: sent ${result.sent} records to stream '${flags.stream}' in ${result.calls} calls ` +
          (result.linesSent === undefined ? '' : `(${lines} lines, KPL-aggregated) `) +
          `(${result.retries} retried), ${Math.round(lines / seconds)} lines/s\n`,
      );
    } catch (err) {
      view.done();
      throw err;
    }
  } finally {
    client.destroy();
  }
}

/** Fails fast, before reading any input, when the stream cannot be reached. */
async function checkStream(client: KinesisClient, flags: ProduceFlags): Promise<void> {
  const target = describeTarget('KINESIS', flags);
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: flags.stream }));
  } catch (err) {
    const { name, message } = err as Error;
    if (name === 'ResourceNotFoundException') {
      throw new CliError(
        `Stream '${flags.stream}' does not exist at ${target}. Create it first ` +
          `(aws kinesis create-stream --stream-name ${flags.stream} --shard-count 1` +
          `${flags.endpoint ? ` --endpoint-url ${flags.endpoint}` : ''}), or check --stream, --endpoint and --region.`,
      );
    }
    const unreachable = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket hang up/i.test(
      `${name} ${message}`,
    );
    throw new CliError(
      `Could not reach stream '${flags.stream}' at ${target}: ${name}: ${message}. ` +
        (unreachable
          ? 'Nothing answers there: start the emulators or LocalStack, or fix --endpoint.'
          : 'Check --endpoint, --region and your AWS credentials.'),
    );
  }
}

function fileSize(file: string): number {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile())
      throw new CliError(`'${file}' is not a file; pass files of lines, or pipe lines on stdin.`);
    return stat.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`Cannot read '${file}': ${(err as Error).message}. Check the path.`);
  }
}

/** Lines of the files in turn (or of stdin), counting the bytes read for the progress bar. */
class LineInput {
  bytesRead = 0;

  constructor(private readonly files: string[]) {}

  async *lines(): AsyncGenerator<string> {
    if (this.files.length === 0) {
      yield* this.read(process.stdin);
      return;
    }
    for (const file of this.files) yield* this.read(fs.createReadStream(file));
  }

  private async *read(input: NodeJS.ReadableStream): AsyncGenerator<string> {
    const rl = readline.createInterface({ input, crlfDelay: Infinity, terminal: false });
    try {
      for await (const line of rl) {
        this.bytesRead += Buffer.byteLength(line) + 1;
        yield line;
      }
    } finally {
      rl.close();
    }
  }
}

interface ProgressView {
  update(progress: ProduceProgress): void;
  done(): void;
}

/** A bar for files on a terminal, a count for typing on a terminal, nothing when piped. */
function progressView(fromFiles: boolean, totalBytes: number, input: LineInput): ProgressView {
  const started = Date.now();
  const rate = (sent: number) => Math.round(sent / Math.max(0.001, (Date.now() - started) / 1000));
  if (fromFiles && process.stderr.isTTY) {
    const bar = new SingleBar({
      format: 'produce |{bar}| {percentage}% | {sent} lines | {rate} lines/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(Math.max(1, totalBytes), 0, { sent: 0, rate: 0 });
    return {
      update: (p) => bar.update(Math.min(input.bytesRead, totalBytes), { sent: p.sent, rate: rate(p.sent) }),
      done: () => bar.stop(),
    };
  }
  if (!fromFiles && process.stdin.isTTY && process.stderr.isTTY) {
    return {
      update: (p) => process.stderr.write(`\r${p.sent} lines sent`),
      done: () => process.stderr.write('\n'),
    };
  }
  return { update: () => undefined, done: () => undefined };
}
