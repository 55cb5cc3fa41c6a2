/**
 * The `dstream` command line. Each command lives in `bin/commands/<name>.ts` and exports one
 * `register<Name>Command(program)`; adding a command is adding that file and one line below.
 *
 * @example
 * dstream produce --stream lines --endpoint http://127.0.0.1:4567 < words.txt
 */
import { Command } from 'commander';
import * as localErrors from '../lib/local/errors';
import { CliError } from './commands/common';
import { registerProduceCommand } from './commands/produce';
import { registerRunCommand } from './commands/run';
import { registerInspectCommand } from './commands/inspect';
import { registerStateCommand } from './commands/state';

/** The program with every command registered (exported for tests). */
export function createProgram(): Command {
  const program = new Command('dstream')
    .description("Spark Streaming's DStream model as a serverless pipeline: local tools")
    .version(packageVersion())
    .showHelpAfterError('(run `dstream --help` for usage)');

  registerProduceCommand(program);
  registerRunCommand(program);
  registerInspectCommand(program);
  registerStateCommand(program);

  return program;
}

/**
 * Runs the program on `argv`. User errors ({@link CliError} and the library's typed errors) are
 * printed as one message and set a non-zero exit code; anything else is printed with its stack.
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (err) {
    const error = err as Error;
    const expected =
      err instanceof CliError || Object.values(localErrors).some((type) => err instanceof type);
    process.stderr.write(`dstream: ${expected ? error.message : (error.stack ?? String(err))}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}

if (require.main === module) void main();
