/**
 * Requests for the agent-protocol fuzz suite: every route with hostile paths, methods, headers,
 * queries and bodies, built from the fixture's real ids and tokens so that many requests get past
 * authentication to the query and the body.
 */
import fc from 'fast-check';
import { BASE_PATH, ConfigQuery, MAX_BODY_BYTES, paths } from '../../api/protocol/v1.ts';
import {
  deepJsonText,
  headerValue,
  hostileJson,
  hostileNumber,
  hostileSegment,
  hostileString,
  mutatedObject,
  numericString,
} from './arbitraries.ts';
import type { RawRequest } from './harness.ts';

/** What the requests may name: the server's host, an agent's id and token, API tokens. */
export interface RestFixture {
  host: string;
  group2Slug: string;
  bootstrap: string;
  agent: { id: string; token: string };
  other: { id: string; token: string };
  revoked: { id: string; token: string };
  api: { admin: string; editor: string; viewer: string };
}

/** Requests to every agent-protocol route, and to paths under the base path that are none. */
export function restRequests(fx: RestFixture): fc.Arbitrary<RawRequest> {
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
          { weight: 5, arbitrary: fc.constant(fx.host) },
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

  /** Heartbeat telemetry (api/protocol/telemetry.ts) with hostile values in every part. */
  const telemetry = fc.record(
    {
      vector: fc.record({ uptimeSeconds: hostileNumber, reloads: hostileNumber }),
      components: fc.array(
        fc.record({
          id: hostileString,
          kind: fc.constantFrom('source', 'sink', 'pipe'),
          type: hostileString,
          eventsIn: hostileNumber,
          errors: hostileNumber,
        }),
        { maxLength: 3 },
      ),
      host: fc.record({ cpuPercent: hostileNumber, load1: hostileNumber, diskUsedBytes: hostileNumber }),
      logs: fc.array(
        fc.record({ time: hostileString, level: fc.constantFrom('warn', 'info'), message: hostileString }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: [] },
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
          configError: fc.option(fc.record({ version: hostileNumber, message: hostileString }), {
            nil: null,
          }),
          actionResults: fc.array(actionResult, { maxLength: 3 }),
          telemetry: fc.oneof(hostileJson, telemetry),
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
        key === 'payload'
          ? fc.record({ targetVersion: fc.oneof(hostileString, hostileJson) })
          : hostileString,
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

  return requestArb();
}
