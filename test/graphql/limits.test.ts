/**
 * Limits on /graphql: parser tokens, query depth, query cost (@pothos/plugin-complexity, with the
 * dashboard's own documents as the yardstick), page size and body size (HTTP and WebSocket);
 * introspection stays available; unexpected errors are masked for clients and logged.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Lexer, Source, TokenKind, getIntrospectionQuery, parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphqlYoga } from '../../api/graphql/yoga.ts';
import { createContext, type GraphqlServices } from '../../api/graphql/context.ts';
import { createLoginLimiter } from '../../api/graphql/login-limiter.ts';
import { DEFAULT_LIVE } from '../../api/graphql/mount.ts';
import { AGGREGATE_COST, MAX_COST, MAX_TOKENS, queryLimitErrors } from '../../api/graphql/limits.ts';
import { schema } from '../../api/graphql/schema/index.ts';
import type { FleetContext } from '../../api/fleet/context.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { waitFor } from '../helpers/factories.ts';
import { createTestUser, errorCode, gql, gqlData, wsClient, type TestUser } from './helpers.ts';
import { dashboardOperations } from './dashboard-documents.ts';

let server: TestServer;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const ask = (query: string, variables: Record<string, unknown> = {}) =>
  gql(server.baseUrl, query, variables, { token: viewer.token });

describe('query limits', () => {
  it('refuses queries deeper than 10 levels', async () => {
    const deep =
      '{ agents { edges { node { actions { edges { node { agent { actions { edges { node { agent { id } } } } } } } } } } } }';
    const res = await ask(deep);
    expect(errorCode(res)).toBe('QUERY_TOO_DEEP');
    expect(res.data).toBeNull();
  });

  it('refuses pages larger than 500, given inline or as a variable', async () => {
    expect(errorCode(await ask('{ agents(first: 501) { totalCount } }'))).toBe('PAGE_SIZE_TOO_LARGE');
    expect(errorCode(await ask('query($n: Int) { groups(last: $n) { totalCount } }', { n: 1000 }))).toBe(
      'PAGE_SIZE_TOO_LARGE',
    );
    expect((await ask('{ agents(first: 500) { totalCount } }')).errors).toBeUndefined();
  });

  it('refuses queries whose pages multiply beyond the cost limit', async () => {
    const res = await ask(
      '{ agents(first: 500) { edges { node { id actions(first: 100) { edges { node { id status } } } } } } }',
    );
    expect(errorCode(res)).toBe('QUERY_TOO_COSTLY');
    expect(res.data).toBeNull();
  });

  it('refuses 1,000 aliases of fleetSummary (or of viewer) before running any', async () => {
    const aliases = (field: string, n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    const thousand = queryLimitErrors({ schema, document: parse(aliases('fleetSummary { agents }', 1_000)) });
    expect(thousand.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);
    const viewers = queryLimitErrors({ schema, document: parse(aliases('viewer { role }', 1_000)) });
    expect(viewers.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);
    // Over HTTP, 1,000 aliases already exceed the parser's token limit; 100 pass it and cost too much.
    const overTokens = await ask(aliases('fleetSummary { agents }', 1_000));
    expect(errorCode(overTokens)).toBe('QUERY_TOO_LARGE');
    expect(overTokens.data).toBeNull();
    const overCost = await ask(aliases('fleetSummary { agents }', 100));
    expect(errorCode(overCost)).toBe('QUERY_TOO_COSTLY');
    expect(overCost.errors).toHaveLength(1);
    expect(overCost.data).toBeNull();
    // A few summaries stay fine; the limit sits near MAX_COST / AGGREGATE_COST of them.
    expect((await ask(aliases('fleetSummary { agents }', 2))).errors).toBeUndefined();
    const limit = Math.floor(MAX_COST / AGGREGATE_COST);
    expect(errorCode(await ask(aliases('fleetSummary { agents }', limit + 1)))).toBe('QUERY_TOO_COSTLY');
  });

  it('refuses a 2,000-level nested selection while parsing, anonymous or not', async () => {
    const nested = `{ ${'a { '.repeat(2_000)}b${' }'.repeat(2_000)} }`;
    for (const caller of [{ token: viewer.token }, {}]) {
      const res = await gql(server.baseUrl, nested, {}, caller);
      expect(errorCode(res)).toBe('QUERY_TOO_LARGE');
      expect(res.data).toBeNull();
    }
  });

  it('lets every document the dashboard sends through, at its largest page sizes', () => {
    const operations = dashboardOperations(schema);
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.map((o) => o.name)).toEqual(
      expect.arrayContaining(['Agents', 'FleetSummary', 'Actions']),
    );
    for (const operation of operations) {
      const errors = queryLimitErrors({
        schema,
        document: operation.document,
        operationName: operation.name,
        variableValues: operation.variables,
      });
      expect(
        errors.map((e) => e.message),
        operation.name,
      ).toEqual([]);
      expect(tokenCount(print(operation.document)), operation.name).toBeLessThan(MAX_TOKENS);
    }
  });

  it('keeps introspection available, as GraphiQL and codegen use it', async () => {
    const data = await gqlData(server.baseUrl, getIntrospectionQuery(), {}, { token: viewer.token });
    expect(data.__schema.queryType.name).toBe('Query');
  });
});

function tokenCount(text: string): number {
  const lexer = new Lexer(new Source(text));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
}

describe('body limits', () => {
  it('answers 413 for an HTTP body over 256 KiB', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer.token}` },
      body: JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(300 * 1024)}` }),
    });
    expect(res.status).toBe(413);
    expect(
      ((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('BODY_TOO_LARGE');
  });

  it('closes a WebSocket that sends a message over 256 KiB', async () => {
    let closed: number | null = null;
    const client = wsClient(server.baseUrl, { token: viewer.token, onClosed: (code) => (closed = code) });
    client.subscribe(
      { query: `subscription { groupUpdated { membershipChanged } } # ${'x'.repeat(300 * 1024)}` },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => closed !== null);
    expect(closed).toBe(1009);
    await client.dispose();
  });
});

describe('unexpected errors', () => {
  it('are masked for the client and logged with their cause', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'error' },
      new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }),
    );
    const yoga = createGraphqlYoga(log, '/graphql');
    const broken = {
      ...server.ctx,
      db: new Proxy(
        {},
        {
          get: () => {
            throw new Error('secret database detail');
          },
        },
      ),
    } as unknown as FleetContext;
    const services: GraphqlServices = {
      fleet: broken,
      directory: server.app.directory,
      log,
      loginLimiter: createLoginLimiter(),
      live: DEFAULT_LIVE,
      trustProxy: 0,
    };
    const context = createContext(
      services,
      {
        actor: { type: 'user', id: viewer.id, label: viewer.email, role: 'viewer' },
        method: 'api_token',
        sessionId: null,
        apiTokenId: null,
        expiresAt: null,
      },
      {
        transport: 'http',
        clientAddress: '127.0.0.1',
        secure: false,
      },
    );
    const res = await yoga.fetch(
      new yoga.fetchAPI.Request('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ agentReleases { version } }' }),
      }),
      context,
    );
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(body)).not.toContain('secret database detail');
    expect(lines.join('')).toContain('secret database detail');
  });
});
