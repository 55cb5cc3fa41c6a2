import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pipeline } from '../lib/engine/pipeline';
import { ServerlessEngine } from '../lib/engine/serverless';
import { InMemoryStateStore } from '../lib/state';
import { PipelineLoadError, PipelineNotFoundError } from './errors';

/**
 * What the CDK app needs to know of a pipeline: its name and batch interval (from the default
 * export of `functions/<folder>/pipeline.ts`) and its folder, whose `index.ts` exports the Lambda
 * entry points `handler` and `closer`.
 */
export interface PipelineDefinition {
  /** The pipeline's name (`definePipeline({ name })`): names the stack, stream, dashboard and metrics dimension. */
  readonly name: string;
  /** Batch interval in seconds (`definePipeline({ batchInterval })`). */
  readonly batchInterval: number;
  /** Seconds the closer waits for idle shards (`definePipeline({ allowedLateness })`). @default batchInterval + 1 */
  readonly allowedLateness?: number;
  /** Absolute path of the pipeline's folder (holds `pipeline.ts` and `index.ts`). */
  readonly directory: string;
}

/** The folder the app reads pipelines from unless the `functionsDir` context says otherwise. */
export const DEFAULT_FUNCTIONS_DIR = resolve(__dirname, '..', 'functions');

const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Folders of `functionsDir` that hold both `pipeline.ts` and `index.ts`, sorted by name. */
export function availablePipelines(functionsDir: string): string[] {
  if (!existsSync(functionsDir)) return [];
  return readdirSync(functionsDir)
    .filter((name) => FOLDER_NAME.test(name) && statSync(join(functionsDir, name)).isDirectory())
    .filter(
      (name) =>
        existsSync(join(functionsDir, name, 'pipeline.ts')) &&
        existsSync(join(functionsDir, name, 'index.ts')),
    )
    .sort();
}

function availableText(functionsDir: string): string {
  const names = availablePipelines(functionsDir);
  return names.length > 0
    ? `Available pipelines in ${functionsDir}: ${names.join(', ')}.`
    : `There are no pipelines in ${functionsDir} yet: create <name>/pipeline.ts and <name>/index.ts there.`;
}

/**
 * Reads `functionsDir/<folder>/pipeline.ts`'s default export (`{ name, batchInterval }`).
 * Throws a {@link PipelineNotFoundError} that lists the available pipelines when no folder is
 * given, when the folder does not exist, or when it lacks `pipeline.ts` or `index.ts`; a
 * {@link PipelineLoadError} naming the file when loading it fails (`definePipeline` refuses an
 * invalid definition with Spark's message, so an invalid pipeline never deploys).
 * @example const p = await loadPipeline(DEFAULT_FUNCTIONS_DIR, 'network-wordcount'); // { name, batchInterval, directory }
 */
export async function loadPipeline(
  functionsDir: string,
  folder: string | undefined,
): Promise<PipelineDefinition> {
  if (folder === undefined || folder === '') {
    throw new PipelineNotFoundError(
      `No pipeline chosen: pass its folder under functions/ as context, e.g. \`npx cdk deploy -c pipeline=network-wordcount\`. ${availableText(functionsDir)}`,
    );
  }
  if (!FOLDER_NAME.test(folder)) {
    throw new PipelineNotFoundError(
      `Pipeline "${folder}" is not a folder name (letters, digits, '-' and '_' only). ${availableText(functionsDir)}`,
    );
  }
  const directory = resolve(functionsDir, folder);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new PipelineNotFoundError(
      `Pipeline "${folder}" not found: there is no folder ${directory}. ${availableText(functionsDir)}`,
    );
  }
  for (const file of ['pipeline.ts', 'index.ts']) {
    if (!existsSync(join(directory, file))) {
      throw new PipelineNotFoundError(
        `Pipeline "${folder}" has no ${file} in ${directory}: pipeline.ts default-exports definePipeline(...), index.ts exports handler and closer. ${availableText(functionsDir)}`,
      );
    }
  }
  const file = join(directory, 'pipeline.ts');
  let mod: { default?: unknown };
  try {
    mod = (await import(file)) as { default?: unknown };
  } catch (e) {
    throw new PipelineLoadError(`${file} cannot be loaded: ${(e as Error).message ?? String(e)}`, {
      cause: e,
    });
  }
  const spec = unwrapDefault(mod.default);
  if (!spec || typeof spec.name !== 'string' || typeof spec.batchInterval !== 'number') {
    throw new PipelineNotFoundError(
      `${file} must default-export a pipeline with a string name and a numeric batchInterval (export default definePipeline({ name, batchInterval }, ...)), got ${describe(spec)}.`,
    );
  }
  await checkIdentities(file, spec);
  const lateness = spec.options?.allowedLateness;
  return {
    name: spec.name,
    batchInterval: spec.batchInterval,
    ...(typeof lateness === 'number' ? { allowedLateness: lateness } : {}),
    directory,
  };
}

/**
 * Refuses, at synth, a definition the engine would refuse at its first invocation whatever is
 * stored: stateful streams that look alike and have no name (their state could be swapped by a
 * later change). What is stored in a deployed table is checked by `dstream state check`.
 */
async function checkIdentities(file: string, spec: NonNullable<MaybeSpec>): Promise<void> {
  if (typeof (spec as Partial<Pipeline>).define !== 'function') return;
  const engine = new ServerlessEngine(spec as Pipeline, {
    store: new InMemoryStateStore(),
    log: () => undefined,
  });
  const { problems } = await engine.checkState();
  if (problems.length > 0) {
    throw new PipelineLoadError(
      `${file}: pipeline '${String(spec.name)}' cannot be deployed: ${problems.map((p) => p.message).join(' ')}`,
    );
  }
}

type MaybeSpec =
  | { name?: unknown; batchInterval?: unknown; options?: { allowedLateness?: unknown }; default?: unknown }
  | undefined;

// A TypeScript module loaded through another module system may arrive wrapped once more
// ({ default: { default: pipeline } }); take the inner object in that case.
function unwrapDefault(value: unknown): MaybeSpec {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as MaybeSpec & object;
  if (!('name' in v) && typeof v.default === 'object' && v.default !== null) return v.default as MaybeSpec;
  return v;
}

function describe(spec: MaybeSpec): string {
  if (!spec) return 'no default export';
  return JSON.stringify({ name: spec.name, batchInterval: spec.batchInterval });
}
