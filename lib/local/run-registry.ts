/**
 * The endpoints of running `dstream run`s, one file per run in `.dstream/`
 * (`<pipeline>.<pid>.<n>.json`), so that `dstream inspect` and `dstream produce` find the emulators
 * of a run, two runs of one pipeline never remove each other's file, and a file left by a run that
 * was killed is recognised (its process is gone) and removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Endpoints a running `dstream run` uses, written for `dstream inspect` and `dstream produce`. */
export interface LocalEndpoints {
  pipeline: string;
  kinesis?: string;
  dynamodb?: string;
  s3?: string;
  stream: string;
  table: string;
  bucket: string;
  /** The process of the run. */
  pid?: number;
  /** When the run started, epoch ms. */
  startedAt?: number;
}

let runsInThisProcess = 0;

/**
 * Writes the endpoints file of a run started by this process; returns its path (remove it with
 * {@link unregisterRun} when the run stops).
 */
export function registerRun(stateDir: string, endpoints: LocalEndpoints): string {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, `${endpoints.pipeline}.${process.pid}.${++runsInThisProcess}.json`);
  const record: LocalEndpoints = { ...endpoints, pid: process.pid, startedAt: Date.now() };
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

/** Removes a run's endpoints file (nothing if it is gone already). */
export function unregisterRun(file: string): void {
  rmSync(file, { force: true });
}

/**
 * The runs of `pipeline` whose process is alive, oldest first. Files of runs whose process is
 * gone (killed) are removed on the way.
 */
export function runningRuns(stateDir: string, pipeline: string): LocalEndpoints[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${escapeRegExp(pipeline)}\\.(\\d+)\\.\\d+\\.json$`);
  const live: LocalEndpoints[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const file = join(stateDir, name);
    if (!isAlive(Number(match[1]))) {
      unregisterRun(file);
      continue;
    }
    try {
      live.push(JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints);
    } catch {
      // a file being written or removed right now: not a run to use
    }
  }
  return live.sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
}

/** Whether process `pid` exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
