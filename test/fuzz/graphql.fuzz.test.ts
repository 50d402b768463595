/**
 * Property-based fuzzing of every GraphQL mutation's input, as viewer, editor and admin, with
 * variables derived from the schema (graphql-inputs.ts). Every answer is a success payload, a typed
 * error (a union member implementing `Error`, with a code of the ErrorCode enum) or a GraphQL error
 * with a known extensions code, never a masked unexpected error; a rejected mutation changes no
 * row; the server stays ready. Replay a failure with FUZZ_SEED=<seed>.
 */
import fc from 'fast-check';
import { getNamedType, isAbstractType, isEnumType, isObjectType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema/index.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { createTestUser, gql } from '../graphql/helpers.ts';
import { assertFuzz, deepJsonText, deepValue, headerValue, unstorableString } from './arbitraries.ts';
import { inputValue } from './graphql-inputs.ts';
import { databaseDigest, rawRequest, readyStatus } from './harness.ts';

/**
 * Extension codes of the GraphQL errors the server documents: input coercion and validation,
 * authentication and roles, and the query limits. A masked error (INTERNAL_SERVER_ERROR,
 * "Unexpected error.") is a bug.
 */
const KNOWN_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BODY_TOO_LARGE',
]);

/**
 * Codes of the refusals before GraphQL runs (api/graphql/http.ts and yoga.ts): CSRF, credentials,
 * Host, size, and a body that is not JSON.
 */
const TRANSPORT_ERROR_CODES = new Set([
  ...KNOWN_ERROR_CODES,
  'CSRF_HEADER_REQUIRED',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/**
 * graphql-js's own refusal of a variable that does not fit its type ("Variable "$input" got invalid
 * value …"): a request error, before any resolver ran, answered without data. Yoga sends it without
 * an extensions code; it is accepted by its shape until it carries BAD_USER_INPUT.
 */
function isCoercionError(error: { message: string; path?: unknown }, data: unknown): boolean {
  return data === null && error.path === undefined && /^Variable "\$\w+" /.test(error.message);
}

const mutationFields = schema.getMutationType()!.getFields();
const mutations = Object.values(mutationFields);
const errorInterface = schema.getType('Error');
const errorCodes = new Set(
  (() => {
    const t = schema.getType('ErrorCode');
    return isEnumType(t) ? t.getValues().map((v) => v.value as string) : [];
  })(),
);

/** `mutation($input: XInput!) { field(input: $input) { __typename ... on Error { code message } } }` */
function document(field: GraphQLField<unknown, unknown>): string {
  const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const result = getNamedType(field.type);
  const error = isAbstractType(result) && errorInterface ? '... on Error { code message }' : '';
  const selection = isObjectType(result) || isAbstractType(result) ? `{ __typename ${error} }` : '';
  return `mutation Fuzz${defs ? `(${defs})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }`;
}

/** Types the result of `field` may be, by name. */
function possibleTypes(field: GraphQLField<unknown, unknown>): Set<string> {
  const result = getNamedType(field.type);
  return new Set(isAbstractType(result) ? schema.getPossibleTypes(result).map((t) => t.name) : [result.name]);
}

function implementsError(typeName: string): boolean {
  const t = schema.getType(typeName);
  return isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Error');
}

let server: TestServer;
let digest: () => Promise<string>;
let callers: Record<'viewer' | 'editor' | 'admin', string>;
let ids: string[];
let fixture: { groupId: string; agentId: string };

beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '100000' } });
  const ctx = server.ctx;
  const group = await createGroupWithPipeline(ctx);
  const empty = await createGroup(ctx, CLI_ACTOR, { slug: 'empty', name: 'Empty' });
  const bootstrap = await mintToken(ctx, group.id, 100);
  const agents = await Promise.all([0, 1].map(() => enrolOverHttp(server.baseUrl, bootstrap)));
  await registerRelease(ctx, { version: '1.0.0', bundle: Buffer.from('// 1.0.0') });
  const created = await createActions(ctx, CLI_ACTOR, {
    agentIds: agents.map((a) => a.agentId),
    type: 'upgrade_agent',
    payload: { targetVersion: '1.0.0' },
  });
  const [viewer, editor, admin, victim] = await Promise.all(
    (['viewer', 'editor', 'admin', 'editor'] as const).map((role) => createTestUser(ctx, role)),
  );
  callers = { viewer: viewer.token, editor: editor.token, admin: admin.token };
  // Rows the fuzzer may name (and change): never the callers themselves or their tokens.
  const [tokens, apiTokens] = await Promise.all([
    ctx.db.enrolmentToken.findMany(),
    ctx.db.apiToken.findMany({ where: { userId: victim.id } }),
  ]);
  ids = [
    group.id,
    empty.id,
    ...agents.map((a) => a.agentId),
    ...created.actions.map((a) => a.id),
    ...(created.bulkId ? [created.bulkId] : []),
    ...tokens.map((t) => t.id),
    ...apiTokens.map((t) => t.id),
    victim.id,
  ];
  fixture = { groupId: group.id, agentId: agents[0].agentId };
  digest = await databaseDigest(ctx.db);
});

/** Valid inputs of mutations that store text or JSON, and the fields the targeted property spoils. */
const storing = () => [
  {
    name: 'createGroup',
    input: { slug: 'fuzz-new', name: 'n', description: 'd' },
    text: ['name', 'description'],
  },
  {
    name: 'updateGroup',
    input: { id: fixture.groupId, name: 'n', description: 'd' },
    text: ['name', 'description'],
  },
  {
    name: 'updateDraftComponent',
    input: { groupId: fixture.groupId, revision: 0, id: 'demo', changes: { options: { format: 'json' } } },
    text: ['id'],
  },
  {
    name: 'setAgentLabels',
    input: { agentId: fixture.agentId, labels: [{ key: 'k', value: 'v' }] },
    text: [],
  },
];

/** A GraphQL answer that refused the mutation in a typed way: a typed error or a coded GraphQL error. */
function refusedTyped(res: Awaited<ReturnType<typeof gql>>, name: string): boolean {
  const result = (res.data as Record<string, { __typename: string }> | null)?.[name];
  if (result) return implementsError(result.__typename);
  return (res.errors ?? []).every((e) => KNOWN_ERROR_CODES.has(e.extensions?.code ?? ''));
}
afterAll(() => server?.close());

const request = () =>
  fc
    .tuple(
      fc.constantFrom(...mutations.map((m) => m.name)),
      // Viewers are refused every mutation up front: fewer of them leaves more runs for the inputs.
      fc.constantFrom<keyof typeof callers>('viewer', 'editor', 'editor', 'admin', 'admin'),
    )
    .chain(([name, role]) =>
      fc
        .record(
          Object.fromEntries(mutationFields[name].args.map((a) => [a.name, inputValue(a.type, ids, a.name)])),
          { requiredKeys: [] },
        )
        .map((variables) => ({ name, role, variables })),
    );

describe('GraphQL mutations under fuzzing', () => {
  it('fuzzes every mutation of the schema', () => {
    expect(mutations.length).toBeGreaterThan(20);
    for (const field of mutations) expect(field.args.length, field.name).toBeGreaterThan(0);
  });

  it('answers a payload, a typed error or a known GraphQL error, and a rejection writes nothing', async () => {
    let before = await digest();
    await assertFuzz(
      fc.asyncProperty(request(), async ({ name, role, variables }) => {
        const field = mutationFields[name];
        const res = await gql(server.baseUrl, document(field), variables, { token: callers[role] });
        const label = `${field.name} as ${role}`;
        expect([200, 400, 413], label).toContain(res.status);
        for (const error of res.errors ?? []) {
          expect(error.message, label).not.toMatch(/^Unexpected error/);
          if (isCoercionError(error, res.data)) continue;
          expect(KNOWN_ERROR_CODES, `${label}: ${error.message}`).toContain(error.extensions?.code);
        }
        const result = (res.data as Record<string, { __typename: string; code?: string }> | null)?.[
          field.name
        ];
        let rejected = (res.errors?.length ?? 0) > 0 || !result;
        if (result) {
          expect(possibleTypes(field), label).toContain(result.__typename);
          if (implementsError(result.__typename)) {
            expect(errorCodes, label).toContain(result.code);
            rejected = true;
          }
        }
        if (rejected) {
          expect(await digest(), `${label} was rejected but wrote to the database`).toBe(before);
        } else {
          await server.app.heartbeats.flush();
          before = await digest();
        }
        expect(await readyStatus(server.baseUrl)).toBe(200);
      }),
      250,
      6_000,
    );
  });

  it('refuses unstorable text and over-deep JSON with a typed error, writing nothing', async () => {
    const before = await digest();
    const spoiled = fc.oneof(
      fc
        .tuple(fc.constantFrom(...storing().filter((m) => m.text.length > 0)), unstorableString)
        .chain(([m, bad]) =>
          fc.constantFrom(...m.text).map((key) => ({ name: m.name, input: { ...m.input, [key]: bad } })),
        ),
      // Under one option key, so even the shallowest hostile depth is past the limit for `options`.
      deepValue.map((deep) => ({
        name: 'updateDraftComponent',
        input: { ...storing()[2].input, changes: { options: { nested: deep } } },
      })),
      fc.tuple(unstorableString, fc.boolean()).map(([bad, inKey]) => ({
        name: 'setAgentLabels',
        input: {
          agentId: fixture.agentId,
          labels: [inKey ? { key: bad, value: 'v' } : { key: 'k', value: bad }],
        },
      })),
    );
    await assertFuzz(
      fc.asyncProperty(spoiled, async ({ name, input }) => {
        const res = await gql(
          server.baseUrl,
          document(mutationFields[name]),
          { input },
          { token: callers.admin },
        );
        expect(
          refusedTyped(res, name),
          `${name}: ${JSON.stringify(res.data ?? res.errors).slice(0, 300)}`,
        ).toBe(true);
        expect(await digest(), `${name} wrote to the database`).toBe(before);
      }),
      40,
      5_000,
    );
  });

  it('answers hostile transport (Host, Content-Type, Authorization, CSRF, body) with a coded error', async () => {
    let before = await digest();
    const host = new URL(server.baseUrl).host;
    const query = document(mutationFields.updateGroup);
    const requestArb = fc.record(
      {
        host: fc.oneof(
          fc.constant(host),
          fc.constantFrom('evil.com:99999', 'a b', '[::1', '', 'é'),
          headerValue,
        ),
        'content-type': fc.oneof(
          fc.constant('application/json'),
          fc.constantFrom('text/plain', 'application/graphql', 'application/json; charset=latin1', ''),
          headerValue,
        ),
        authorization: fc.oneof(
          fc.constantFrom(...Object.values(callers)).map((t) => `Bearer ${t}`),
          fc.constantFrom('Bearer', 'Basic abc', 'Bearer FLT_unknown', 'Bearer AGT_x', 'bearer  x'),
          headerValue,
        ),
        'x-flotilla-csrf': fc.constantFrom('1', ''),
        body: fc.oneof(
          inputValue(mutationFields.updateGroup.args[0].type, ids, 'input').map((input) =>
            JSON.stringify({ query, variables: { input } }),
          ),
          fc.constantFrom(
            '',
            '{',
            'null',
            '[]',
            '{"query":1}',
            '{"query":"mutation {"}',
            deepJsonText(2_000, 'array'),
          ),
        ),
      },
      { requiredKeys: ['host', 'body'] },
    );
    await assertFuzz(
      fc.asyncProperty(requestArb, async ({ body, ...headers }) => {
        const res = await rawRequest(server.baseUrl, { method: 'POST', path: '/graphql', headers, body });
        expect(res.status, res.body).toBeLessThan(500);
        expect(res.headers['content-type'] ?? '', `${res.status} answered without a JSON body`).toMatch(
          /^application\/(graphql-response\+)?json/,
        );
        const parsed = JSON.parse(res.body) as {
          data?: unknown;
          errors?: { message: string; path?: unknown; extensions?: { code?: string } }[];
        };
        for (const error of parsed.errors ?? []) {
          expect(error.message).not.toMatch(/^Unexpected error/);
          if (isCoercionError(error, parsed.data ?? null)) continue;
          expect(TRANSPORT_ERROR_CODES, `${res.status} ${error.message}`).toContain(error.extensions?.code);
        }
        const result = (parsed.data as { updateGroup?: { __typename: string } } | null)?.updateGroup;
        if (res.status === 200 && result && !implementsError(result.__typename) && !parsed.errors) {
          before = await digest();
        } else {
          expect(await digest(), res.body.slice(0, 200)).toBe(before);
        }
        expect(await readyStatus(server.baseUrl)).toBe(200);
      }),
      100,
      3_000,
    );
  });
});
