/** Finding a pipeline by name: `functions/<name>/pipeline.ts`, or a path to a pipeline module. */
import { existsSync, readdirSync } from 'fs';
import { join, resolve } from 'path';
import { InvalidPipelineError, type Pipeline } from '../../lib/engine/pipeline';
import { CliError } from './common';

/** The project's functions/ folder. */
export const FUNCTIONS_DIR = resolve(__dirname, '..', '..', 'functions');

/** The pipelines in functions/. */
export function availablePipelines(): string[] {
  if (!existsSync(FUNCTIONS_DIR)) return [];
  return readdirSync(FUNCTIONS_DIR).filter((d) => existsSync(join(FUNCTIONS_DIR, d, 'pipeline.ts')));
}

/** Loads a pipeline by name (functions/<name>/pipeline.ts) or by path to its module. */
export function loadPipeline(nameOrPath: string): Pipeline {
  const byName = join(FUNCTIONS_DIR, nameOrPath, 'pipeline.ts');
  const file = existsSync(byName)
    ? byName
    : existsSync(resolve(nameOrPath))
      ? resolve(nameOrPath)
      : undefined;
  if (!file) {
    throw new CliError(
      `no pipeline '${nameOrPath}': expected functions/${nameOrPath}/pipeline.ts or a path to a pipeline module. ` +
        `Available: ${availablePipelines().join(', ') || '(none)'}.`,
    );
  }
  let mod: { default?: Pipeline };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as { default?: Pipeline };
  } catch (e) {
    // definePipeline refused the definition at load: the message says why, no stack needed.
    if (e instanceof InvalidPipelineError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
  const p = mod.default;
  if (!p || typeof p.define !== 'function' || typeof p.name !== 'string') {
    throw new CliError(
      `${file} must export default definePipeline({ name, batchInterval }, (ssc) => { ... }).`,
    );
  }
  return p;
}
