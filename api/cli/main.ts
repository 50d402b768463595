/**
 * The admin CLI: `npm run flotilla -- <command>`. `serve` runs the server, `migrate` applies
 * migrations, the rest act on the fleet through api/fleet. Exit codes: 0 done, 1 failed (the
 * message says why), 2 bad arguments.
 */
import { ConfigurationError, loadConfig } from '../config.ts';
import { openDb } from '../db.ts';
import { applyMigrations } from '../migrations.ts';
import { createLocalBus, createRedisBus } from '../fleet/events.ts';
import { createFleetContext } from '../app.ts';
import { FleetError } from '../fleet/errors.ts';
import { runServer } from '../main.ts';
import { COMMANDS } from './commands.ts';
import { UsageError } from './args.ts';

const USAGE = `usage: npm run flotilla -- <command>
  serve                                   run the server (same as npm start)
  migrate                                 apply database migrations and exit
  user create --email E --role viewer|editor|admin --password-stdin
  user reset-password --email E --password-stdin
  api-token create --user EMAIL --name NAME [--role R] [--ttl-days N]   prints the token once
  group create --slug S [--name N] [--description D]
  token mint --group SLUG --max-uses N --ttl 24h                        prints the EBT_ token once
  release add FILE [--version x.y.z]     register an agent bundle for upgrades
  secrets rotate                          re-encrypt secrets under FLOTILLA_SECRET_KEY (old keys in
                                          FLOTILLA_SECRET_KEY_PREVIOUS); the server also does this at start`;

/** Run one CLI invocation; resolves the exit code. */
export async function runCli(
  argv: string[],
  print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const [first, second, ...rest] = argv;
  if (!first || first === 'help' || first === '--help') {
    print(USAGE);
    return first ? 0 : 2;
  }
  const config = loadConfig();
  if (first === 'serve') {
    await runServer(config);
    return -1;
  }
  const command = COMMANDS[`${first} ${second ?? ''}`.trim()];
  if (first !== 'migrate' && !command)
    throw new UsageError(`unknown command "${[first, second].filter(Boolean).join(' ')}"\n${USAGE}`);
  const db = await openDb(config.database);
  const events = config.redisUrl ? createRedisBus(config.redisUrl, config.redisPrefix) : createLocalBus();
  try {
    const applied = await applyMigrations(db);
    if (first === 'migrate') {
      print(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
      return 0;
    }
    await events.ready();
    await command(createFleetContext({ config, db, events }), rest, print);
    return 0;
  } finally {
    await events.close();
    await db.close();
  }
}

const code = await runCli(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(error.message);
    return 2;
  }
  if (error instanceof FleetError || error instanceof ConfigurationError) {
    console.error(`error: ${error.message}`);
    return 1;
  }
  console.error(error);
  return 1;
});
if (code >= 0) process.exit(code);
