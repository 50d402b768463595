// Entry point of the stand-in `vector` CLI: parse the command line, then run validate or run mode.
import { UsageError, parseCommandLine } from './cli.mjs';
import { createLogger } from './log.mjs';
import { runVector } from './run.mjs';
import { runValidate } from './validate.mjs';
import { versionLine } from './version.mjs';

const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 69;

/** Runs the CLI with `argv` (the arguments after the program name). */
export function main(argv) {
  let parsed;
  try {
    parsed = parseCommandLine(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(error.render());
    process.exitCode = EXIT_USAGE;
    return;
  }
  switch (parsed.command) {
    case 'version':
      process.stdout.write(`${versionLine()}\n`);
      return;
    case 'help':
      process.stdout.write(parsed.text);
      return;
    case 'validate':
      process.exitCode = runValidate(parsed.opts, parsed.root, createLogger(parsed.root));
      return;
    case 'run':
      runVector(parsed.opts, createLogger(parsed.opts));
      return;
    default:
      process.stderr.write(
        `error: \`vector ${parsed.name}\` is not implemented by the flotilla test stand-in\n`,
      );
      process.exitCode = EXIT_UNAVAILABLE;
  }
}
