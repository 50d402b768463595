/**
 * flotilla-agent's command line: parses flags and environment into settings, builds the runtime,
 * dispatches the command and resolves its exit code (2 for a bad command line). The entries are
 * agent/main.ts (the ES module bundle) and agent/sea-entry.ts (the single executable).
 */
import { enrolCommand } from './commands/enrol.ts';
import { runCommand } from './commands/run.ts';
import { createRuntime } from './commands/runtime.ts';
import { statusCommand } from './commands/status.ts';
import { watchCommand } from './commands/watch.ts';
import { errorMessage } from './log.ts';
import { UsageError, parseCommandLine, usage } from './settings.ts';
import { AGENT_VERSION } from './version.ts';

/** Runs one command line; resolves the process exit code. Never rejects. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (argv[0] === '--version') argv = ['version'];
  let parsed;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`flotilla-agent: ${error.message} (see flotilla-agent help)\n`);
    return 2;
  }
  const rt = createRuntime(parsed.settings, env);
  try {
    switch (parsed.command) {
      case 'version':
        process.stdout.write(`${AGENT_VERSION}\n`);
        return 0;
      case 'enrol':
        return await enrolCommand(rt);
      case 'status':
        return await statusCommand(rt);
      case 'run':
        return await runCommand(rt, argv.slice(1));
      case 'upgrade-watch':
        return await watchCommand(rt, argv.slice(1));
    }
  } catch (error) {
    process.stderr.write(`flotilla-agent ${parsed.command} failed: ${errorMessage(error)}\n`);
    return 1;
  }
}

/** Runs this process's command line and exits with its code; an unhandled rejection exits 1. */
export async function runProcess(): Promise<never> {
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`flotilla-agent: unexpected failure: ${errorMessage(error)}\n`);
    process.exit(1);
  });
  // Exit explicitly: a timer left by a stopped task must not keep a finished command alive.
  process.exit(await main(process.argv.slice(2), process.env));
}
