/**
 * `dstream state export|import|reset|check <pipeline>`: a pipeline's keyed state as JSON lines (one
 * key per line: `{"stream":"totals","key":"a","value":3}`), back in, started over, or checked
 * against the code before a deploy. Against the running `dstream run` of the pipeline (its
 * endpoints from .dstream/), or with `--table` (and `--endpoint`) a deployed table.
 *
 * @example
 * dstream state export network-wordcount > state.jsonl
 * dstream state import network-wordcount state.jsonl
 * dstream state reset network-wordcount --stream totals
 * dstream state check network-wordcount --table <the stack's TableName output>
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Command } from 'commander';
import {
  IncompatibleStateError,
  ServerlessEngine,
  StateTransferError,
  type StreamTransfer,
} from '../../lib/engine/serverless';
import { dynamoClient } from '../../lib/local/clients';
import { DynamoDbStateStore } from '../../lib/state';
import { CliError } from './common';
import { processId } from './inspect';
import { loadPipeline } from './pipelines';
import { resolveTarget, type TargetFlags } from './target';

/** Flags of the `dstream state` commands. */
export interface StateFlags extends Omit<TargetFlags, 'stream'> {
  /** Streams (ids or names) to act on; all when none. */
  stream?: string[];
  /** export: the file to write (default stdout). */
  out?: string;
}

/** Where the commands write: lines of data (stdout) and messages (stderr). */
export interface StateOutput {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: StateOutput = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/** Registers `dstream state` and its subcommands on the program. */
export function registerStateCommand(program: Command): Command {
  const state = program
    .command('state')
    .description("a pipeline's stored state: export, import, reset, check against the code");
  const common = (c: Command) =>
    c
      .argument('<pipeline>', 'a folder name under functions/ or a path to a pipeline module')
      .option(
        '--endpoint <url>',
        'DynamoDB endpoint (default: the running `dstream run`, else $AWS_ENDPOINT_URL, else AWS)',
      )
      .option('--table <name>', "the state table (default: the running run's, else dstream-<pipeline>)")
      .option(
        '--pid <pid>',
        'the `dstream run` to use, when several of this pipeline are running',
        processId,
      );
  const streams = (c: Command, what: string) =>
    c.option('--stream <id>', `${what} (an id or a name; repeat for several; default: all)`, collect);
  streams(
    common(state.command('export').description('write the keyed state as JSON lines, one key per line')),
    'the stream to export',
  )
    .option('--out <file>', 'write to this file (default: stdout)')
    .action(async (pipeline: string, flags: StateFlags) => void (await runStateExport(pipeline, flags)));
  streams(
    common(
      state
        .command('import')
        .description(
          'read JSON lines (as export writes them) into the keyed state; applied at the next batch',
        ),
    ),
    'the stream to import (its lines only)',
  )
    .argument('[file]', 'the JSON lines (default: stdin)')
    .action(
      async (pipeline: string, file: string | undefined, flags: StateFlags) =>
        void (await runStateImport(pipeline, file, flags)),
    );
  streams(
    common(state.command('reset').description('forget stored streams: they start empty at the next batch')),
    'the stream to reset',
  ).action(async (pipeline: string, flags: StateFlags) => void (await runStateReset(pipeline, flags)));
  common(
    state
      .command('check')
      .description(
        'check the code against the stored streams (before a deploy): exit 1 if it would be refused',
      ),
  ).action((pipeline: string, flags: StateFlags) => runStateCheck(pipeline, flags));
  return state;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs `body` with an engine on the pipeline's state table; closes the client after. */
async function withEngine<T>(
  name: string,
  flags: StateFlags,
  stateDir: string,
  body: (engine: ServerlessEngine, table: string) => Promise<T>,
): Promise<T> {
  const pipeline = loadPipeline(name);
  const { table, dynamodb } = resolveTarget(name, { ...flags, stream: undefined }, stateDir);
  const client = dynamoClient({ endpoint: dynamodb });
  try {
    const engine = new ServerlessEngine(pipeline, {
      store: new DynamoDbStateStore({ client, tableName: table }),
      log: () => undefined,
    });
    return await body(engine, table).catch((e: unknown) => {
      if (e instanceof StateTransferError || e instanceof IncompatibleStateError)
        throw new CliError(e.message);
      if (e instanceof CliError) throw e;
      throw new CliError(
        `cannot use the state table '${table}' (${(e as Error).message}). Is \`dstream run ${name}\` running, or are --endpoint/--table right?`,
      );
    });
  } finally {
    client.destroy();
  }
}

function describeTransfer(verb: string, t: StreamTransfer): string {
  const at = t.batchTime === undefined ? '' : ` (batch ${t.batchTime})`;
  return `${verb} ${t.stream}: ${t.keys} key${t.keys === 1 ? '' : 's'}${at}\n`;
}

/** `dstream state export`: JSON lines to stdout or `--out`; a summary per stream on stderr. */
export async function runStateExport(
  name: string,
  flags: StateFlags,
  io: StateOutput = stdio,
  stateDir = '.dstream',
): Promise<StreamTransfer[]> {
  return withEngine(name, flags, stateDir, async (engine) => {
    const file = flags.out ? createWriteStream(flags.out) : undefined;
    const write = file
      ? async (line: string) => {
          if (!file.write(line + '\n')) await once(file, 'drain');
        }
      : (line: string) => io.out(line + '\n');
    try {
      const done = await engine.exportState(write, { streams: flags.stream });
      for (const t of done) io.err(describeTransfer('exported', t));
      if (done.length === 0) io.err('no keyed state stored (no stream registered yet)\n');
      return done;
    } finally {
      if (file) {
        file.end();
        await once(file, 'close');
      }
    }
  });
}

/** `dstream state import`: JSON lines from a file or stdin into the keyed state. */
export async function runStateImport(
  name: string,
  file: string | undefined,
  flags: StateFlags,
  io: StateOutput = stdio,
  stateDir = '.dstream',
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<StreamTransfer[]> {
  // The import holds every entry in memory to write its snapshot: the input is read whole first.
  const text = file && file !== '-' ? await readFile(file, 'utf8') : await readAll(stdin);
  return withEngine(name, flags, stateDir, async (engine) => {
    const done = await engine.importState(text.split('\n'), { streams: flags.stream });
    for (const t of done) io.err(describeTransfer('imported', t));
    io.err('the closer applies it at its next batch\n');
    return done;
  });
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** `dstream state reset`: forgets the stored data of streams (all, or `--stream`). */
export async function runStateReset(
  name: string,
  flags: StateFlags,
  io: StateOutput = stdio,
  stateDir = '.dstream',
): Promise<string[]> {
  return withEngine(name, flags, stateDir, async (engine, table) => {
    const removed = await engine.resetState({ streams: flags.stream });
    if (removed.length === 0) io.err(`nothing stored to reset in ${table}\n`);
    for (const id of removed) io.err(`reset ${id}: it starts empty at the next batch\n`);
    return removed;
  });
}

/** `dstream state check`: what the code would do against the stored streams; refused: exit 1. */
export async function runStateCheck(
  name: string,
  flags: StateFlags,
  io: StateOutput = stdio,
  stateDir = '.dstream',
): Promise<void> {
  await withEngine(name, flags, stateDir, async (engine, table) => {
    const { problems, notes } = await engine.checkState();
    if (problems.length > 0) throw new IncompatibleStateError(engine.pipeline.name, problems);
    io.out(`compatible with the state stored in ${table}\n`);
    for (const n of notes) io.out(`  ${n}\n`);
  });
}
