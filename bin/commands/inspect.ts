/**
 * `dstream inspect <pipeline>`: the stream's shards and the engine's positions in them, the open
 * and closed batches, and the stored state (history) — what to look at when counts seem wrong.
 * Reads the endpoints of a running `dstream run` from its file in .dstream/ (with --pid when two
 * runs of the pipeline are running), or uses --endpoint / AWS_ENDPOINT_URL, or AWS (with --table).
 *
 * @example
 * dstream inspect network-wordcount
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ServerlessEngine } from '../../lib/engine/serverless';
import { dynamoClient, kinesisClient } from '../../lib/local/clients';
import { listShards } from '../../lib/runtime/list-shards';
import { formatBatchTime, pythonRepr } from '../../lib/sinks/pprint-format';
import { DynamoDbStateStore } from '../../lib/state';
import { loadPipeline } from './pipelines';
import { CliError } from './common';
import { resolveTarget } from './target';

/** The flags of `dstream inspect`. */
export interface InspectFlags {
  endpoint?: string;
  table?: string;
  stream?: string;
  json?: boolean;
  pid?: number;
}

/** Registers `dstream inspect` on the program. */
export function registerInspectCommand(program: Command): Command {
  return program
    .command('inspect')
    .description("show a pipeline's shards and positions, open and closed batches, and stored state")
    .argument('<pipeline>', 'a folder name under functions/ or a path to a pipeline module')
    .option(
      '--endpoint <url>',
      'endpoint for Kinesis and DynamoDB (default: the running `dstream run`, else $AWS_ENDPOINT_URL, else AWS)',
    )
    .option('--table <name>', 'the state table (default: dstream-<pipeline>)')
    .option('--stream <name>', 'the Kinesis stream (default: dstream-<pipeline>)')
    .option('--json', 'print JSON')
    .option(
      '--pid <pid>',
      'the `dstream run` to inspect, when several of this pipeline are running',
      processId,
    )
    .action((pipeline: string, flags: InspectFlags) => runInspect(pipeline, flags));
}

/** Commander parser of `--pid`. */
export function processId(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a process id, got '${v}'.`);
  return n;
}

/** The command's body. */
export async function runInspect(
  name: string,
  flags: InspectFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
  stateDir = '.dstream',
): Promise<void> {
  const pipeline = loadPipeline(name);
  const { table, streamName, ...endpoints } = resolveTarget(name, flags, stateDir);
  const dynamo = dynamoClient({ endpoint: endpoints.dynamodb });
  const kinesis = kinesisClient({ endpoint: endpoints.kinesis });
  try {
    const engine = new ServerlessEngine(pipeline, {
      store: new DynamoDbStateStore({ client: dynamo, tableName: table }),
    });
    let report;
    try {
      report = await engine.inspect();
    } catch (e) {
      throw new CliError(
        `cannot read the state table '${table}' (${(e as Error).message}). Is \`dstream run ${name}\` running, or is --endpoint/--table right?`,
      );
    }
    let shardIds: string[] = [];
    try {
      shardIds = (await listShards(kinesis, streamName)).map((s) => s.ShardId as string);
    } catch {
      // the stream may be elsewhere (or deleted); the table still tells positions
    }
    if (flags.json) {
      out(JSON.stringify({ ...report, streamShards: shardIds }, null, 2) + '\n');
      return;
    }
    const t = (ms: number | undefined) => (ms === undefined ? '-' : `${formatBatchTime(ms)} (${ms})`);
    const lines: string[] = [];
    lines.push(
      `pipeline ${report.pipeline}, batch interval ${report.batchInterval} s, table ${table}, stream ${streamName}`,
    );
    if (!report.progress) lines.push('no record seen yet');
    else {
      lines.push(
        `next batch to close: ${t(report.progress.next)}; closed up to: ${t(report.progress.closedUpTo)}; zero time ${report.progress.zero}`,
      );
    }
    lines.push('', 'shards (checkpoint = last sequence number applied; watermark = latest arrival seen):');
    const known = new Set(report.shards.map((s) => s.shardId));
    for (const s of report.shards)
      lines.push(`  ${s.shardId}  checkpoint ${s.checkpoint}  watermark ${t(s.watermark)}`);
    for (const id of shardIds)
      if (!known.has(id))
        lines.push(`  ${id}  (no record applied yet: batches wait for it until their lateness passes)`);
    lines.push('', 'records committed but not yet in a closed batch, by the batch they arrived in:');
    if (report.openBatches.length === 0) lines.push('  none');
    for (const b of report.openBatches)
      lines.push(`  ${t(b.batchTime)}  ${b.records} records in ${b.entries} log entries`);
    lines.push('', 'latest closes:');
    if (report.closes.length === 0) lines.push('  none');
    for (const c of report.closes) {
      lines.push(
        `  ${t(c.batchTime)}  ${c.status}${c.status === 'claimed' ? ` by ${c.owner} until ${t(c.leaseUntil)}` : ''}`,
      );
    }
    lines.push('', 'stored state (latest version of each keyed state stream; sample from its snapshot):');
    if (report.history.length === 0) lines.push('  none (the pipeline keeps no state across batches)');
    for (const h of report.history) {
      lines.push(`  ${h.stream} at ${t(h.batchTime)}: ${h.size} keys, ${h.bytes} bytes stored`);
      for (const x of h.sample) lines.push(`    ${pythonRepr(x)}`);
      if (h.size > h.sample.length) lines.push('    ...');
    }
    out(lines.join('\n') + '\n');
  } finally {
    dynamo.destroy();
    kinesis.destroy();
  }
}
