/**
 * The real server on port 0 over a fresh test database (helpers/db.ts), for protocol, GraphQL and
 * agent end-to-end tests. `close()` stops it and removes the database.
 */
import { pino, type Logger } from 'pino';
import { buildApp, type App } from '../../api/app.ts';
import { loadConfig, type ServerConfig } from '../../api/config.ts';
import { createLocalBus, createRedisBus, type EventBus } from '../../api/fleet/events.ts';
import type { Clock, FleetContext } from '../../api/fleet/context.ts';
import { createTestDb, type TestDb } from './db.ts';

export interface TestServer {
  baseUrl: string;
  app: App;
  ctx: FleetContext;
  testDb: TestDb;
  events: EventBus;
  config: ServerConfig;
  /**
   * How many GraphQL subscriptions have started receiving since the server started, so tests poll
   * this instead of sleeping. (A subscription that joins one already running, the same role and
   * operation, subscribes nothing on the event bus, so the bus cannot tell.)
   */
  subscriptionsStarted(): number;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra environment for loadConfig (e.g. FLOTILLA_ENROL_RATE_LIMIT). */
  env?: Record<string, string>;
  clock?: Clock;
  /** Use an existing database instead of a fresh one (a second replica); not destroyed on close. */
  testDb?: TestDb;
  /** Use Redis pub/sub for events (replica tests). */
  redisUrl?: string;
  agentVersion?: string;
  /** The agent executable the server offers install.sh (none by default). */
  agentExecutable?: string;
  /** The server's logger (default: silent unless TEST_LOG_LEVEL), e.g. to capture log lines. */
  log?: Logger;
}

/** Start a server on 127.0.0.1 with a free port. Rejects when the database cannot be prepared. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const testDb = options.testDb ?? (await createTestDb());
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    FLOTILLA_HEARTBEAT_FLUSH_MS: '50',
    ...options.env,
  });
  const events = options.redisUrl
    ? createRedisBus(options.redisUrl, `flotilla-test-${process.pid}`)
    : createLocalBus();
  await events.ready();
  const app = buildApp({
    config,
    db: testDb.db,
    events,
    log: options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock: options.clock,
    agentVersion: options.agentVersion,
    agentExecutable: options.agentExecutable,
  });
  const address = await app.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    baseUrl,
    app,
    ctx: app.ctx,
    testDb,
    events,
    config,
    subscriptionsStarted: () => app.websocketStats().subscriptionsStarted,
    async close() {
      await app.stop();
      await events.close();
      if (!options.testDb) await testDb.destroy();
    },
  };
}
