/**
 * PostgreSQL helpers for the schema-engine shim: the "char" OID patch adapter-pg needs, URL and
 * database-name handling, and an admin connection for creating and dropping databases.
 */
import pg from 'pg';

/**
 * adapter-pg cannot map Postgres' internal `"char"` type (OID 18), which the engine's catalog queries
 * return ("Column type 'char' could not be deserialized"). Report it as `text` (OID 25) instead, for both
 * the promise and the callback form of `Client#query` (pg.Pool uses the callback form).
 */
export function patchCharOid() {
  const fix = (res) => {
    for (const r of Array.isArray(res) ? res : [res])
      for (const f of r?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
    return res;
  };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function patchedQuery(...args) {
    const cb = args.at(-1);
    if (typeof cb === 'function') args[args.length - 1] = (err, res) => cb(err, err ? res : fix(res));
    const ret = query.apply(this, args);
    return ret && typeof ret.then === 'function' ? ret.then(fix) : ret;
  };
}

/** Returns `url` pointing at database `db` instead of its own. */
export function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

/** The database name in a connection URL (`postgres` when the path is empty). */
export function databaseOf(url) {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}

/** Whether the database of `url` exists (false only on "database does not exist"). */
export async function databaseExists(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch (err) {
    if (err.code === '3D000') return false;
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Quotes a PostgreSQL identifier. */
export const ident = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * Empties a configured `shadowDatabaseUrl` database before use, as the native engine does (the Wasm engine
 * does not, so a second run fails with "type … already exists"): drops every non-system schema.
 */
export async function resetDatabase(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
    );
    for (const { nspname } of rows) await client.query(`DROP SCHEMA ${ident(nspname)} CASCADE`);
    await client.query('CREATE SCHEMA IF NOT EXISTS public');
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs `fn(client)` on a maintenance connection to the server of `url` (database `postgres`, else
 * `template1`, else the URL's own database), for CREATE/DROP DATABASE.
 */
export async function withAdminClient(url, fn) {
  let lastErr;
  for (const db of ['postgres', 'template1', databaseOf(url)]) {
    const client = new pg.Client({ connectionString: withDatabase(url, db) });
    try {
      await client.connect();
    } catch (err) {
      lastErr = err;
      await client.end().catch(() => {});
      if (err.code === '3D000' || err.code === '42501') continue; // missing database / no access: next one
      throw err;
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw lastErr;
}
