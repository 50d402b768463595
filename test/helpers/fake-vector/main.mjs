// Entry point of the stand-in `vector` CLI: parse the command line, then run validate or run mode.
import { UsageError, parseCommandLine } from './cli.mjs';
import { io } from './io.mjs';
import { createLogger } from './log.mjs';
import { runVector } from './run.mjs';
import { runValidate } from './validate.mjs';
import { versionLine } from './version.mjs';

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 69;

/**
 * Runs the CLI with `argv` (the arguments after the program name). Returns the exit code of a one-shot
 * command; run mode keeps the process and returns undefined, or throws under `oneShot` (in-process use).
 */
export function main(argv, { oneShot = false } = {}) {
  const { env, stdout, stderr } = io();
  let parsed;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(error.render());
    return EXIT_USAGE;
  }
  switch (parsed.command) {
    case 'version':
      stdout.write(`${versionLine()}\n`);
      return EXIT_OK;
    case 'help':
      stdout.write(parsed.text);
      return EXIT_OK;
    case 'validate':
      return runValidate(parsed.opts, parsed.root, createLogger(parsed.root));
    case 'run':
      if (oneShot) throw new Error('run mode needs its own process: start the `vector` launcher');
      runVector(parsed.opts, createLogger(parsed.opts));
      return undefined;
    default:
      stderr.write(`error: \`vector ${parsed.name}\` is not implemented by the flotilla test stand-in\n`);
      return EXIT_UNAVAILABLE;
  }
}
