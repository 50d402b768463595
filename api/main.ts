/**
 * Server process entry (`npm start`): load config, open the database, apply migrations, start the
 * app, and stop cleanly on SIGTERM/SIGINT (stop accepting, flush heartbeats, close the database,
 * exit within 10 s).
 */
import { pathToFileURL } from 'node:url';
import { ConfigurationError, loadConfig, type ServerConfig } from './config.ts';
import { openDb } from './db.ts';
import { applyMigrations } from './migrations.ts';
import { createEventBus } from './fleet/events.ts';
import { createFleetContext } from './fleet/context.ts';
import { AGENT_EXECUTABLE } from './agent-executable.ts';
import { buildApp } from './app.ts';
import { createLogger } from './log.ts';
import { ensureFirstAdmin, prepareSecrets, registerBundledAgent } from './startup.ts';

const SHUTDOWN_DEADLINE_MS = 10_000;

/** Run the server until a stop signal. Rejects when start-up fails (the caller exits non-zero). */
export async function runServer(config: ServerConfig): Promise<void> {
  const log = createLogger(config.logLevel);
  const db = await openDb(config.database);
  const applied = await applyMigrations(db);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  const events = createEventBus(config, (err) => log.error({ err }, 'redis bus error'));
  await events.ready();
  const ctx = createFleetContext({ config, db, events });
  await prepareSecrets(ctx, log);
  await ensureFirstAdmin(ctx, config, log);
  const agentVersion = await registerBundledAgent(ctx, log);
  const app = buildApp({ config, db, events, log, agentVersion, agentExecutable: AGENT_EXECUTABLE });
  const address = await app.listen(config.port, config.host);
  log.info(
    {
      address: `${address.address}:${address.port}`,
      database: config.database.kind,
      bus: config.redisUrl ? 'redis' : 'local',
    },
    'flotilla listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    await app.stop();
    await events.close();
    await db.close();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await runServer(loadConfig());
  } catch (error) {
    console.error(error instanceof ConfigurationError ? error.message : error);
    process.exit(1);
  }
}
