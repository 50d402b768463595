#!/usr/bin/env node
/**
 * Stand-in for Prisma's native `schema-engine` binary (see stack-notes P1), backed by the Wasm schema engine
 * (`@prisma/schema-engine-wasm`, pinned) talking to PostgreSQL through `@prisma/adapter-pg`.
 *
 * The Prisma CLI finds it through `PRISMA_SCHEMA_ENGINE_BINARY` (set by `prisma.mjs` next to this file) and
 * spawns it like the native binary, in one of two ways:
 *   - `--datasource '{"url":…}' cli can-connect-to-database|create-database|drop-database`: one-shot admin
 *     commands; failures exit 1 with JSON log lines on stderr (the CLI drops the first stderr line).
 *   - `[--datamodels <file>]… [--datasource '{"url":…}']`: a JSON-RPC server, one request per stdin line,
 *     one response per stdout line. stdout carries nothing else; logs go to stderr.
 * Re-run the migration tests whenever the `prisma` CLI or the Wasm engine version moves.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import {
  patchCharOid,
  withDatabase,
  databaseOf,
  databaseExists,
  ident,
  resetDatabase,
  withAdminClient,
} from './pg-helpers.mjs';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';

/** Used when the CLI passes no `--datamodels` (e.g. `migrate diff`): psl panics without any datamodel. */
const BARE_DATAMODEL = 'datasource db {\n  provider = "postgresql"\n}\n';

/** Parses the arguments the CLI passes to the native engine; unknown flags are ignored. */
function parseArgs(argv) {
  const out = { datamodels: [], datasource: {}, cli: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--datamodels') out.datamodels.push(argv[++i]);
    else if (a === '--datasource') out.datasource = JSON.parse(argv[++i]);
    else if (a === 'cli') out.cli = argv[++i];
    else if (a === '--version' || a === '-V') out.version = true;
    else if (a.startsWith('--')) i++; // --enabled-preview-features, --extension-types: value follows
  }
  out.url = out.datasource.url ?? process.env.DATABASE_URL;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// `cli` subcommands
// ---------------------------------------------------------------------------------------------------------

/** Maps a pg / socket error to the `{error_code, message}` the CLI expects from the native engine. */
function toEngineError(err, url) {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 5432}`;
  const db = databaseOf(url);
  if (err.code === '3D000')
    return {
      error_code: 'P1003',
      message: `Database \`${db}\` does not exist on the database server at \`${where}\`.`,
    };
  if (err.code === '42P04')
    return {
      error_code: 'P1009',
      message: `Database \`${db}\` already exists on the database server at \`${where}\``,
    };
  if (err.code === '28P01' || err.code === '28000')
    return {
      error_code: 'P1000',
      message: `Authentication failed against database server at \`${where}\`: ${err.message}`,
    };
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(err.code))
    return { error_code: 'P1001', message: `Can't reach database server at \`${where}\`` };
  return { message: err.message ?? String(err) };
}

/** Writes one JSON log line to stderr in the native engine's format. */
function logLine(level, fields) {
  process.stderr.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), level, fields, target: 'schema_engine::logger' })}\n`,
  );
}

/** Runs `cli can-connect-to-database|create-database|drop-database` and exits like the native engine. */
async function runCliCommand(command, url) {
  try {
    if (!url) throw new Error('No datasource URL given (--datasource or DATABASE_URL).');
    const db = databaseOf(url);
    if (command === 'can-connect-to-database') {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => {});
      }
    } else if (command === 'create-database') {
      await withAdminClient(url, (c) => c.query(`CREATE DATABASE ${ident(db)}`));
      process.stdout.write(`Database '${db}' was successfully created.\n`);
    } else if (command === 'drop-database') {
      await withAdminClient(url, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(db)}`));
      process.stdout.write(`The database was successfully dropped.\n`);
    } else {
      throw new Error(`Unsupported cli command: ${command}`);
    }
    process.exit(0);
  } catch (err) {
    logLine('INFO', { message: `schema-engine-shim cli ${command}` }); // the CLI skips the first line
    logLine('ERROR', { ...toEngineError(err, url ?? 'postgresql://localhost/postgres'), is_panic: false });
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Adapter factory with our own shadow databases
// ---------------------------------------------------------------------------------------------------------

/**
 * Shadow databases of this process not dropped yet, each with its CREATE DATABASE promise (dropped on exit
 * and on signals as a fallback; a CREATE still in flight is awaited first, so it cannot outlive the drop).
 */
const liveShadows = new Map();

/** Drops every shadow database still listed in `liveShadows`. */
function dropAllShadows(url) {
  return Promise.allSettled(
    [...liveShadows].map(([name, created]) => created.then(() => dropShadow(url, name))),
  );
}

/** Drops one shadow database created by `makeAdapterFactory`, closing leftover sessions (PostgreSQL 13+). */
async function dropShadow(url, name) {
  await withAdminClient(url, (c) =>
    c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`).catch((err) => {
      if (err.code !== '42601') throw err; // syntax error: server older than 13
      return c.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
    }),
  );
  liveShadows.delete(name);
}

/** On Ctrl-C / kill, still drop the shadow databases this process created. */
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    const url = parseArgs(process.argv.slice(2)).url;
    dropAllShadows(url).then(() => process.exit(130));
  });
}

/**
 * A migration-aware adapter factory for `url`. Not adapter-pg's `connectToShadowDb()`: it spreads
 * `{connectionString, database}` and pg lets the connection string win, so its "shadow" is the main
 * database. Instead: `shadowDatabaseUrl` from the config when given, else a fresh
 * `prisma_migrate_shadow_db_<uuid>` on the same server, dropped when the engine disposes the adapter.
 */
function makeAdapterFactory(url, shadowDatabaseUrl, { mainOptional = false } = {}) {
  const schema = new URL(url).searchParams.get('schema') ?? undefined;
  const main = new PrismaPg({ connectionString: url }, { schema });
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    async connect() {
      // The engine connects to the main database at start-up even for a diff that never reads it.
      if (mainOptional && !(await databaseExists(url))) {
        return new PrismaPg({ connectionString: withDatabase(url, 'postgres') }, { schema }).connect();
      }
      return main.connect();
    },
    async connectToShadowDb() {
      if (shadowDatabaseUrl) {
        await resetDatabase(shadowDatabaseUrl);
        return new PrismaPg({ connectionString: shadowDatabaseUrl }, { schema }).connect();
      }
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      const created = withAdminClient(url, (c) => c.query(`CREATE DATABASE ${ident(name)}`));
      liveShadows.set(
        name,
        created.catch(() => {}),
      );
      await created;
      const adapter = await new PrismaPg({ connectionString: withDatabase(url, name) }, { schema }).connect();
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await dropShadow(url, name);
      };
      return adapter;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Wasm engine and JSON-RPC server
// ---------------------------------------------------------------------------------------------------------

/**
 * Instantiates the Wasm engine by hand: the package entry imports `.wasm` as an ES module, which Node
 * rejects (ERR_UNKNOWN_FILE_EXTENSION). Also installs the panic registry wasm-bindgen expects.
 */
function loadWasm() {
  globalThis.PRISMA_WASM_PANIC_REGISTRY = {
    message: '',
    set_message(m) {
      this.message = `RuntimeError: ${m}`;
    },
    get() {
      return this.message;
    },
  };
  const wasmUrl = new URL(
    './schema_engine_bg.wasm',
    import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg'),
  );
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmUrl)), {
    './schema_engine_bg.js': bg,
  });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
}

/** CLI method names that the Wasm engine spells differently. */
const METHOD_ALIASES = { getDatabaseVersion: 'version' };

/**
 * Works around a gap in this Wasm engine build: `evaluateDataLoss` and `createMigration` replay the
 * migrations through the engine's migration-schema cache and, on a cache miss, without the shadow-database
 * factory ("PostgreSQL shadow DB must be provided through an external factory"). The cache is filled by
 * `diagnoseMigrationHistory`, keyed by the *applied* migrations, so it misses whenever `migrate dev` has
 * just applied migrations (always on a fresh database). Diagnosing again after they are applied fills it.
 */
async function warmMigrationCache(engine, params) {
  if (!params?.migrationsList?.migrationDirectories?.length) return;
  const filters = params.filters ?? { externalTables: [], externalEnums: [] };
  await engine
    .diagnoseMigrationHistory({ migrationsList: params.migrationsList, optInToShadowDatabase: true, filters })
    .catch(() => {});
}

/** Turns a rejected engine call into a JSON-RPC error object the CLI understands. */
function rpcError(err) {
  const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY.get();
  if (err instanceof WebAssembly.RuntimeError || panic) {
    const message = panic || String(err?.message ?? err);
    return {
      code: 4466,
      message,
      data: { is_panic: true, message, error: { message }, backtrace: err?.stack },
    };
  }
  const data = typeof err === 'object' && err !== null ? err : {};
  const message = data.message ?? String(err);
  return {
    code: 4466,
    message,
    data: { is_panic: false, message, error_code: data.error_code ?? data.errorCode, meta: data.meta },
  };
}

/** Serves JSON-RPC requests from stdin until it closes, one at a time, then cleans up and exits. */
async function serve(args) {
  loadWasm();
  const datamodels = args.datamodels.length
    ? args.datamodels.map((file) => [file, readFileSync(file, 'utf8')])
    : [['schema.prisma', BARE_DATAMODEL]];
  const log = (line) =>
    process.stderr.write(`${(typeof line === 'string' ? line : JSON.stringify(line)).replace(/\n$/, '')}\n`);
  let enginePromise;
  /** Starts the engine on the first request: a diff between non-live sources needs no existing database. */
  const getEngine = (method, params) => {
    const live =
      method !== 'diff' ||
      [params?.from, params?.to].some((t) => t?.tag === 'url' || t?.tag === 'schemaDatasource');
    const factory = makeAdapterFactory(args.url, args.datasource.shadowDatabaseUrl, { mainOptional: !live });
    return (enginePromise ??= bg.SchemaEngine.new(
      { datamodels },
      log,
      bindMigrationAwareSqlAdapterFactory(factory),
    ));
  };
  const send = (msg) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
  let exitCode = 0;
  let queue = Promise.resolve();

  /** Handles one request line; `diff` output is sent as a `print` request, as the native engine does. */
  const handle = async (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.method === undefined) return; // a response to our own `print` request
    const { id, method, params } = msg;
    try {
      const engine = await getEngine(method, params);
      const name = METHOD_ALIASES[method] ?? method;
      if (typeof engine[name] !== 'function')
        throw new Error(`Method not supported by the Wasm schema engine: ${method}`);
      if (method === 'evaluateDataLoss' || method === 'createMigration')
        await warmMigrationCache(engine, params);
      const result = await engine[name](params ?? undefined);
      if (method === 'diff' && typeof result?.stdout === 'string' && result.stdout) {
        send({ method: 'print', id: `print-${id}`, params: { content: result.stdout.replace(/\n$/, '') } });
      }
      send({ id, result: result ?? null });
    } catch (err) {
      const error = rpcError(err);
      send({ id, error });
      if (error.data.is_panic) exitCode = 101;
    }
  };

  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    queue = queue
      .then(() => handle(line))
      .catch((err) =>
        log({ level: 'ERROR', fields: { message: String(err) }, target: 'schema_engine_shim' }),
      );
  });
  await new Promise((resolve) => rl.once('close', resolve));
  await queue;
  try {
    if (enginePromise) (await enginePromise).free();
  } catch {
    // engine never started or already poisoned by a panic
  }
  await dropAllShadows(args.url);
  process.exit(exitCode);
}

const args = parseArgs(process.argv.slice(2));
// When the CLI dies first (Ctrl-C), writes hit a closed pipe: ignore EPIPE so the clean-up still runs.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
patchCharOid();
if (args.version) {
  // `prisma -v` asks the engine binary for its version; answer like the native one, naming the Wasm build.
  loadWasm();
  process.stdout.write(`schema-engine-cli ${bg.version()} (wasm shim)\n`);
} else if (args.cli) await runCliCommand(args.cli, args.url);
else await serve(args);
