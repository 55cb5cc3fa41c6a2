/**
 * Where the `dstream` commands that read a pipeline's stored state (inspect, state) find it: the
 * running `dstream run` of the pipeline (its endpoints file in .dstream/, `--pid` choosing among
 * several), or `--endpoint` / AWS_ENDPOINT_URL, or AWS; the table `--table`, else the run's, else
 * `dstream-<pipeline>`.
 */
import { runningRuns, type LocalEndpoints } from '../../lib/local/run-registry';
import { localNames } from '../../lib/local/runner';
import { CliError } from './common';
import { loadPipeline } from './pipelines';

/** Flags that choose the state to read. */
export interface TargetFlags {
  endpoint?: string;
  table?: string;
  stream?: string;
  pid?: number;
}

/** The endpoints and names a command reads: the running run's, overridden by flags. */
export interface Target {
  table: string;
  streamName: string;
  dynamodb?: string;
  kinesis?: string;
}

/** Resolves the target of pipeline `name` (as loaded by name or path) from flags and running runs. */
export function resolveTarget(name: string, flags: TargetFlags, stateDir: string): Target {
  const pipeline = loadPipeline(name);
  const running: Partial<LocalEndpoints> = flags.endpoint ? {} : chooseRun(name, stateDir, flags.pid);
  const names = localNames(pipeline.name);
  return {
    table: flags.table ?? running.table ?? names.table,
    streamName: flags.stream ?? running.stream ?? names.stream,
    dynamodb: flags.endpoint ?? running.dynamodb,
    kinesis: flags.endpoint ?? running.kinesis,
  };
}

/** The running `dstream run` of the pipeline to read (by --pid when several run), or none. */
function chooseRun(name: string, stateDir: string, pid: number | undefined): Partial<LocalEndpoints> {
  const runs = runningRuns(stateDir, loadPipeline(name).name);
  const describe = (r: LocalEndpoints) => `pid ${r.pid} (kinesis ${r.kinesis}, dynamodb ${r.dynamodb})`;
  if (pid !== undefined) {
    const run = runs.find((r) => r.pid === pid);
    if (!run) {
      throw new CliError(
        `--pid ${pid}: no running \`dstream run ${name}\` has that pid. Running: ${runs.map(describe).join('; ') || 'none'}.`,
      );
    }
    return run;
  }
  if (runs.length > 1 && new Set(runs.map((r) => r.pid)).size > 1) {
    throw new CliError(
      `${runs.length} runs of ${name} are running: ${runs.map(describe).join('; ')}. Choose one with --pid <pid>.`,
    );
  }
  return runs[runs.length - 1] ?? {};
}
