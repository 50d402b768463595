/**
 * The admin CLI: `npm run flotilla -- <command>`. `serve` runs the server, `migrate` applies
 * migrations, the rest act on the fleet through api/fleet (only fleet, db and config are loaded:
 * the app is imported for `serve` alone, so commands start quickly); `pipeline` is a client of a
 * running server's API. Exit codes: 0 done,
 * 1 failed (the message says why), 2 bad arguments.
 */
import { pathToFileURL } from 'node:url';
import { ConfigurationError, loadConfig } from '../config.ts';
import { openDb } from '../db.ts';
import { applyMigrations } from '../migrations.ts';
import { createEventBus } from '../fleet/events.ts';
import { createFleetContext } from '../fleet/context.ts';
import { FleetError } from '../fleet/errors.ts';
import { COMMANDS } from './commands.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { BackupError } from '../backups.ts';
import { runPipelineCommand } from './pipeline.ts';
import { UsageError, readSecret, type CliInput } from './args.ts';

const USAGE = `usage: npm run flotilla -- <command>
  serve                                   run the server (same as npm start)
  migrate                                 apply database migrations and exit
  user create --email E --role viewer|editor|admin --password-stdin
  user reset-password --email E --password-stdin
  api-token create --user EMAIL --name NAME [--role R] [--ttl-days N]   prints the token once
  group create --slug S [--name N] [--description D]
  token mint --group SLUG --max-uses N --ttl 24h [--allow-group-override]
                                                                     prints the EBT_ token once
  release add FILE [--version x.y.z]     register an agent bundle for upgrades
  backup --out FILE                       back up the whole database (pg_dump, or PGlite's data
                                          directory when no server holds it)
  restore --in FILE [--replace]           restore a backup into an empty database (servers stopped)
  pipeline export|plan|apply --server URL --group SLUG [--file F] [--message M]
                                          pipelines as code over the API with FLOTILLA_TOKEN (an
                                          API token): export YAML, plan (diff, problems), apply
  secrets rotate                          re-encrypt secrets under FLOTILLA_SECRET_KEY (old keys in
                                          FLOTILLA_SECRET_KEY_PREVIOUS); the server also does this at start`;

/** Where one CLI invocation reads and writes; the process's own streams by default. */
export interface CliIo {
  stdin: CliInput;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The environment configuration is read from. */
  env: NodeJS.ProcessEnv;
}

const PROCESS_IO: CliIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
};

async function run(argv: string[], io: CliIo): Promise<number | null> {
  const print = (line: string) => void io.stdout.write(`${line}\n`);
  const [first, second, ...rest] = argv;
  if (!first || first === 'help' || first === '--help') {
    print(USAGE);
    return first ? 0 : 2;
  }
  if (first === 'pipeline') return runPipelineCommand(second, rest, { print, env: io.env });
  const config = loadConfig(io.env);
  if (first === 'serve') {
    const { runServer } = await import('../main.ts');
    await runServer(config);
    return null;
  }
  if (first === 'backup' || first === 'restore') {
    const argvRest = second === undefined ? rest : [second, ...rest];
    await (first === 'backup' ? backupCommand : restoreCommand)(config, argvRest, print);
    return 0;
  }
  const command = COMMANDS[`${first} ${second ?? ''}`.trim()];
  if (first !== 'migrate' && !command)
    throw new UsageError(`unknown command "${[first, second].filter(Boolean).join(' ')}"\n${USAGE}`);
  const db = await openDb(config.database);
  const events = createEventBus(config);
  try {
    const applied = await applyMigrations(db);
    if (first === 'migrate') {
      print(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    await events.ready();
    const ctx = createFleetContext({ config, db, events });
    await ctx.tuning.reload();
    await command(ctx, rest, {
      print,
      readSecret: () => readSecret(io.stdin),
    });
    return 0;
  } finally {
    await events.close();
    await db.close();
  }
}

/**
 * Run one CLI invocation with `argv` (the words after `flotilla`). Resolves the exit code, or
 * null for `serve`, which keeps running; never rejects: failures are written to `io.stderr`.
 */
export async function runCli(argv: string[], io: CliIo = PROCESS_IO): Promise<number | null> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof FleetError || error instanceof ConfigurationError || error instanceof BackupError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = await runCli(process.argv.slice(2));
  if (code !== null) process.exit(code);
}
