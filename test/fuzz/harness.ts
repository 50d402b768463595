/**
 * What the fuzz suites check around each request: a digest of every row in the database (so a
 * rejected request provably wrote nothing), raw HTTP requests with exactly the headers and path
 * the fuzzer made, and the server's readiness.
 */
import http from 'node:http';
import type { FleetContext } from '../../api/fleet/context.ts';

/**
 * Columns that change without a change of data: a token's or session's last use is stamped when
 * it authenticates, and authentication comes before the input is checked.
 */
const VOLATILE_COLUMNS: Record<string, string[]> = {
  api_tokens: ['last_used_at'],
  sessions: ['last_seen_at'],
};

/**
 * Rows a rejected request writes by design: a failed sign-in is audited (sessions.ts). Only these
 * audit rows are left out; every other audit event counts.
 */
const EXPECTED_REJECTION_ROWS: Record<string, string> = {
  audit_events: `"action" <> 'session.start_failed'`,
};

interface TableInfo {
  table: string;
  keys: string[];
}

/**
 * A function returning a digest of every row of every table (migrations bookkeeping aside), each
 * table's rows in primary-key order, volatile columns left out. One SQL statement per call.
 */
export async function databaseDigest(db: FleetContext['db']): Promise<() => Promise<string>> {
  const tables = await db.$queryRawUnsafe<TableInfo[]>(`
    SELECT c.relname AS "table",
           array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)) AS keys
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey::int2[])
     WHERE i.indisprimary AND n.nspname = current_schema() AND c.relname <> '_prisma_migrations'
     GROUP BY c.relname
     ORDER BY c.relname`);
  if (tables.length < 10) throw new Error(`expected every table to have a primary key, got ${tables.length}`);
  const parts = tables.map(({ table, keys }) => {
    const drop = (VOLATILE_COLUMNS[table] ?? []).map((c) => ` - '${c}'`).join('');
    const where = EXPECTED_REJECTION_ROWS[table] ? ` WHERE ${EXPECTED_REJECTION_ROWS[table]}` : '';
    const order = keys.map((k) => `t."${k}"`).join(', ');
    return `SELECT '${table}' AS t, count(*)::int AS n,
              md5(coalesce(string_agg((to_jsonb(t)${drop})::text, E'\\n' ORDER BY ${order}), '')) AS h
              FROM "${table}" t${where}`;
  });
  const sql = parts.join('\nUNION ALL\n');
  return async () => {
    const rows = await db.$queryRawUnsafe<{ t: string; n: number; h: string }[]>(sql);
    return rows.map((r) => `${r.t}:${r.n}:${r.h}`).join(' ');
  };
}

export interface RawRequest {
  method: string;
  /** Sent as is: no normalisation, no encoding. */
  path: string;
  /** Sent as is; `host` is only sent when present here, an undefined value not at all. */
  headers: Record<string, string | undefined>;
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Send `request` to `baseUrl` over a fresh connection; resolves once the answer is complete. */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers: Object.fromEntries(
          Object.entries({ connection: 'close', ...request.headers }).filter(([, v]) => v !== undefined),
        ),
        setHost: false,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer (413) and close before the whole body is written: only the answer counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(request.body);
  });
}

/** The status of GET /readyz. */
export async function readyStatus(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/readyz`);
  await res.arrayBuffer();
  return res.status;
}
