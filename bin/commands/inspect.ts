/**
 * `dstream inspect <pipeline>`: the stream's shards and the engine's positions in them, the open
 * and closed batches, and the stored state (history) — what to look at when counts seem wrong.
 * Reads the endpoints of a running `dstream run` from .dstream/<pipeline>.json, or uses --endpoint
 * / AWS_ENDPOINT_URL, or AWS (with --table).
 *
 * @example
 * dstream inspect network-wordcount
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { Command } from 'commander';
import { ServerlessEngine } from '../../lib/engine/serverless';
import { dynamoClient, kinesisClient } from '../../lib/local/clients';
import { localNames, type LocalEndpoints } from '../../lib/local/runner';
import { formatBatchTime, pythonRepr } from '../../lib/sinks/pprint-format';
import { DynamoDbStateStore } from '../../lib/state';
import { loadPipeline } from './pipelines';
import { CliError } from './common';

/** The flags of `dstream inspect`. */
export interface InspectFlags {
  endpoint?: string;
  table?: string;
  stream?: string;
  json?: boolean;
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
    .action((pipeline: string, flags: InspectFlags) => runInspect(pipeline, flags));
}

/** The command's body. */
export async function runInspect(
  name: string,
  flags: InspectFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
  stateDir = '.dstream',
): Promise<void> {
  const pipeline = loadPipeline(name);
  const file = join(stateDir, `${pipeline.name}.json`);
  const running: Partial<LocalEndpoints> =
    !flags.endpoint && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const names = localNames(pipeline.name);
  const table = flags.table ?? running.table ?? names.table;
  const streamName = flags.stream ?? running.stream ?? names.stream;
  const dynamo = dynamoClient({ endpoint: flags.endpoint ?? running.dynamodb });
  const kinesis = kinesisClient({ endpoint: flags.endpoint ?? running.kinesis });
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
      const res = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
      shardIds = (res.Shards ?? []).map((s) => s.ShardId as string);
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
