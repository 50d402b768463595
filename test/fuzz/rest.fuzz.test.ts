/**
 * Property-based fuzzing of every agent-protocol route (api/protocol/README.md): hostile paths,
 * methods, headers, queries and bodies. Every answer is a 2xx or a 4xx in the documented error
 * shape with a (status, code) pair from the reference's error table; a rejected request changes no
 * row; the server stays ready. Replay a failure with FUZZ_SEED=<seed> (fast-check prints the seed
 * and the path of the counterexample).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE_PATH,
  ConfigQuery,
  ErrorBody,
  ErrorCode,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  paths,
} from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetErrorCode } from '../../api/fleet/errors.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { createTestUser } from '../graphql/helpers.ts';
import {
  deepJsonText,
  fuzzParams,
  headerValue,
  hostileJson,
  hostileNumber,
  hostileSegment,
  hostileString,
  mutatedObject,
  numericString,
  unstorableString,
} from './arbitraries.ts';
import { databaseDigest, rawRequest, readyStatus, type RawRequest } from './harness.ts';

/** (status, code) pairs of the reference's error table: the only errors a client may meet. */
const DOCUMENTED = new Set(
  [
    ...fs
      .readFileSync(path.resolve(import.meta.dirname, '../../api/protocol/README.md'), 'utf8')
      .matchAll(/^\|\s*(4\d\d)\s*\|\s*`([a-z_]+)`/gm),
  ].map((m) => `${m[1]} ${m[2]}`),
);
const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), ...Object.values(FleetErrorCode)]);

let server: TestServer;
let digest: () => Promise<string>;
let fx: {
  group2Slug: string;
  bootstrap: string;
  agent: { id: string; token: string };
  other: { id: string; token: string };
  revoked: { id: string; token: string };
  api: { admin: string; editor: string; viewer: string };
};

beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '100000' } });
  const group = await createGroupWithPipeline(server.ctx);
  const group2 = await createGroupWithPipeline(server.ctx);
  const bootstrap = await mintToken(server.ctx, group.id, 100_000);
  const enrolled = await Promise.all([0, 1, 2].map(() => enrolOverHttp(server.baseUrl, bootstrap)));
  const [agent, other, revoked] = enrolled.map((e) => ({ id: e.agentId, token: e.agentToken }));
  await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [revoked.id] });
  await registerRelease(server.ctx, { version: '1.0.0', bundle: Buffer.from('// 1.0.0') });
  const [admin, editor, viewer] = await Promise.all(
    (['admin', 'editor', 'viewer'] as const).map((role) => createTestUser(server.ctx, role)),
  );
  fx = {
    group2Slug: group2.slug,
    bootstrap,
    agent,
    other,
    revoked,
    api: { admin: admin.token, editor: editor.token, viewer: viewer.token },
  };
  digest = await databaseDigest(server.ctx.db);
});
afterAll(() => server?.close());

const token = () =>
  fc.constantFrom(
    fx.agent.token,
    fx.other.token,
    fx.revoked.token,
    fx.api.admin,
    fx.api.editor,
    fx.api.viewer,
    fx.bootstrap,
    'AGT_unknown',
    'FLT_unknown',
    'EBT_unknown',
  );

const authorization = () =>
  fc.option(
    fc.oneof(
      { weight: 6, arbitrary: token().map((t) => `Bearer ${t}`) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom('bearer ', 'Bearer  ', 'Basic ', 'Bearer\t', 'BEARER ', ''), token())
          .map(([scheme, t]) => scheme + t),
      },
      { weight: 1, arbitrary: token().map((t) => `Bearer ${t} ${t}`) },
      { weight: 1, arbitrary: token().map((t) => `Bearer ${t}%00`) },
      { weight: 2, arbitrary: headerValue },
      {
        weight: 1,
        arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Bearer ===', 'Bearer AGT_é', 'Bearer a=b'),
      },
    ),
    { nil: undefined, freq: 6 },
  );

const agentId = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(fx.agent.id, fx.other.id, fx.revoked.id) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: hostileSegment },
  );

const headersArb = (auth = authorization()) =>
  fc.record(
    {
      host: fc.oneof(
        { weight: 5, arbitrary: fc.constant(new URL(server.baseUrl).host) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'example.com',
            '[::1]:80',
            'evil.com:99999',
            'a b',
            '@x',
            'h/p',
            '[::1',
            '.',
          ),
        },
        { weight: 1, arbitrary: headerValue },
      ),
      'content-type': fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'APPLICATION/JSON',
            'application/jsonx',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            '',
          ),
        },
        { weight: 1, arbitrary: headerValue },
      ),
      authorization: auth,
      'x-forwarded-for': headerValue,
      'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher', ''),
      'x-request-id': headerValue,
    },
    { requiredKeys: ['host'] },
  );

const enrolBody = () =>
  mutatedObject(
    fc.record(
      {
        bootstrapToken: fc.oneof(fc.constant(fx.bootstrap), fc.constantFrom('EBT_unknown', fx.agent.token)),
        hostname: fc.oneof(fc.domain(), hostileString),
        platform: fc.constantFrom('linux' as const, 'kubernetes' as const),
        os: fc.string({ maxLength: 20 }),
        kernel: fc.string({ maxLength: 20 }),
        agentVersion: fc.constantFrom('0.1.0', '1.0.0'),
        vectorVersion: fc.constantFrom('', '0.58.0'),
        groupSlug: fc.constantFrom(fx.group2Slug, 'no-such-group'),
      },
      {
        requiredKeys: [
          'bootstrapToken',
          'hostname',
          'platform',
          'os',
          'kernel',
          'agentVersion',
          'vectorVersion',
        ],
      },
    ),
    (key) => (key === 'platform' ? fc.constantFrom('windows', 'LINUX', '') : hostileString),
  );

const actionResult = fc.record(
  {
    actionId: fc.oneof(fc.uuid(), hostileString),
    status: fc.constantFrom('running', 'done', 'failed', 'pending', 'cancelled'),
    result: hostileJson,
  },
  { requiredKeys: ['actionId', 'status'] },
);

const heartbeatBody = () =>
  mutatedObject(
    fc.record(
      {
        agentVersion: fc.constantFrom('0.1.0', '1.0.0'),
        vectorVersion: fc.constantFrom('', '0.58.0'),
        appliedConfigVersion: fc.nat(5),
        vectorRunning: fc.boolean(),
        vectorUptimeSeconds: fc.nat(100_000),
        configError: fc.option(fc.record({ version: hostileNumber, message: hostileString }), { nil: null }),
        actionResults: fc.array(actionResult, { maxLength: 3 }),
      },
      {
        requiredKeys: [
          'agentVersion',
          'vectorVersion',
          'appliedConfigVersion',
          'vectorRunning',
          'vectorUptimeSeconds',
        ],
      },
    ),
    (key) =>
      key === 'appliedConfigVersion' || key === 'vectorUptimeSeconds'
        ? hostileNumber
        : fc.oneof(hostileString, hostileJson),
  );

const actionBody = () =>
  mutatedObject(
    fc.record({
      type: fc.constantFrom('upgrade_agent'),
      payload: fc.record({ targetVersion: fc.oneof(fc.constantFrom('1.0.0', '9.9.9'), hostileString) }),
    }),
    (key) =>
      key === 'payload' ? fc.record({ targetVersion: fc.oneof(hostileString, hostileJson) }) : hostileString,
  );

/** A body as sent: JSON of a generated value, or text that is not (quite) JSON, or too large. */
function bodyText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v) ?? 'undefined') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        '{',
        '{"a":1,}',
        'null',
        '\u0000',
        '{"hostname":"\\ud800"}',
        '{"__proto__":{"polluted":1}}',
        deepJsonText(2_000, 'array'),
        deepJsonText(2_000, 'object'),
        deepJsonText(40_000, 'object'),
        JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }),
      ),
    },
  );
}

const query = () =>
  fc.oneof(
    fc
      .record({
        since: fc.option(numericString, { nil: undefined }),
        wait: fc.option(numericString, { nil: undefined }),
      })
      .map(({ since, wait }) => {
        // A valid wait on an up-to-date since is a held long-poll (up to 60 s): poll from 0 instead.
        const parsed = ConfigQuery.safeParse({ since, wait });
        const s = parsed.success && parsed.data.wait !== undefined ? '0' : since;
        return [
          s === undefined ? '' : `since=${encodeURIComponent(s)}`,
          wait === undefined ? '' : `wait=${encodeURIComponent(wait)}`,
        ]
          .filter(Boolean)
          .join('&');
      }),
    fc.constantFrom(
      'since=%zz',
      'since=0&since=99',
      'since=1%00',
      'since',
      '&&&',
      'since=%E0%A4%A',
      'since=0&wait=%',
    ),
  );

const method = (right: string) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(right) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  );

/**
 * An agent id with the headers of a request on it: mostly the agent's own token (so the fuzzer gets
 * past authentication to the query and body), else any id and any authorization.
 */
const agentTarget = () =>
  fc.oneof(
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constant(fx.agent.id), headersArb(fc.constant(`Bearer ${fx.agent.token}`))),
    },
    { weight: 1, arbitrary: fc.tuple(agentId(), headersArb()) },
  );

/** Like agentTarget, for the operator route: mostly an editor's or admin's API token. */
const operatorTarget = () =>
  fc.oneof(
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(fc.constant(fx.agent.id), agentId()),
        headersArb(fc.constantFrom(`Bearer ${fx.api.admin}`, `Bearer ${fx.api.editor}`)),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(agentId(), headersArb()) },
  );

/** A request to one of the routes, or to a path under the base path that is none. */
const requestArb = (): fc.Arbitrary<RawRequest> =>
  fc.oneof(
    fc.record({
      method: method('POST'),
      path: fc.constant(paths.enrol),
      headers: headersArb(),
      body: bodyText(enrolBody()),
    }),
    fc.tuple(method('GET'), agentTarget(), query()).map(([m, [id, headers], q]) => ({
      method: m,
      path: `${BASE_PATH}/${id}/config${q ? `?${q}` : ''}`,
      headers,
    })),
    fc.tuple(method('POST'), agentTarget(), bodyText(heartbeatBody())).map(([m, [id, headers], body]) => ({
      method: m,
      path: `${BASE_PATH}/${id}/heartbeat`,
      headers,
      body,
    })),
    fc.tuple(method('POST'), operatorTarget(), bodyText(actionBody())).map(([m, [id, headers], body]) => ({
      method: m,
      path: `${BASE_PATH}/${id}/actions`,
      headers,
      body,
    })),
    fc.record({
      method: method('GET'),
      path: fc.oneof(fc.constant('1.0.0'), hostileSegment).map((v) => `${BASE_PATH}/releases/${v}`),
      headers: headersArb(),
      body: fc.constant(undefined),
    }),
    fc.record({
      method: fc.constantFrom('GET', 'POST'),
      path: fc
        .array(hostileSegment, { minLength: 0, maxLength: 4 })
        .map((segments) => [BASE_PATH, ...segments].join('/')),
      headers: headersArb(),
      body: bodyText(hostileJson),
    }),
  );

/** How far from MAX_HEADER_BYTES the count below may be off (Node counts the bytes it parses). */
const HEAD_SLACK = 512;

/** Bytes of the request line and headers as sent. */
function headBytes(request: RawRequest): number {
  const lines = Object.entries(request.headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.byteLength(`${request.method} ${request.path} HTTP/1.1\r\n${lines.join('')}`, 'latin1');
}

describe('agent protocol under fuzzing', () => {
  it('documents only codes the server knows', () => {
    expect(DOCUMENTED.size).toBeGreaterThan(15);
    for (const pair of DOCUMENTED) expect(KNOWN_CODES).toContain(pair.split(' ')[1]);
  });

  it('answers every request with a 2xx or a documented 4xx, and a rejection writes nothing', async () => {
    let before = await digest();
    await fc.assert(
      fc.asyncProperty(requestArb(), async (request) => {
        const res = await rawRequest(server.baseUrl, request);
        const headerBytes = headBytes(request);
        if (headerBytes > MAX_HEADER_BYTES + HEAD_SLACK) {
          expect(res.status).toBe(431);
          expect(await digest()).toBe(before);
        } else if (res.status === 431 && headerBytes > MAX_HEADER_BYTES - HEAD_SLACK) {
          expect(await digest()).toBe(before);
        } else if (res.status >= 200 && res.status < 300) {
          await server.app.heartbeats.flush();
          before = await digest();
        } else {
          expect(res.status, res.body).toBeGreaterThanOrEqual(400);
          expect(res.status, res.body).toBeLessThan(500);
          const body = ErrorBody.parse(JSON.parse(res.body));
          expect(DOCUMENTED, `${res.status} ${body.error.code} is not in the reference`).toContain(
            `${res.status} ${body.error.code}`,
          );
          expect(await digest(), `${res.status} ${body.error.code} wrote to the database`).toBe(before);
        }
        expect(await readyStatus(server.baseUrl)).toBe(200);
      }),
      fuzzParams(400, 15_000),
    );
  });

  it('refuses text the database cannot store in every field of an enrolment', async () => {
    const before = await digest();
    const fields = [
      'hostname',
      'os',
      'kernel',
      'agentVersion',
      'vectorVersion',
      'groupSlug',
      'bootstrapToken',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fields), unstorableString, async (field, bad) => {
        const body = {
          bootstrapToken: fx.bootstrap,
          hostname: 'h',
          platform: 'linux',
          os: '',
          kernel: '',
          agentVersion: '1',
          vectorVersion: '',
          [field]: bad,
        };
        const res = await rawRequest(server.baseUrl, {
          method: 'POST',
          path: paths.enrol,
          headers: { host: new URL(server.baseUrl).host, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status, res.body).toBe(400);
        expect(ErrorBody.parse(JSON.parse(res.body)).error.code).toBe(ErrorCode.invalidBody);
        expect(await digest()).toBe(before);
      }),
      fuzzParams(30, 5_000),
    );
  });
});
