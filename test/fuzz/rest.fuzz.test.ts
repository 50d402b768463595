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
import { ErrorBody, ErrorCode, MAX_HEADER_BYTES, paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetErrorCode } from '../../api/fleet/errors.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { createTestUser } from '../graphql/helpers.ts';
import { assertFuzz, unstorableString } from './arbitraries.ts';
import { databaseDigest, rawRequest, readyStatus, type RawRequest } from './harness.ts';
import { restRequests, type RestFixture } from './rest-requests.ts';

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
let fx: RestFixture;

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
    host: new URL(server.baseUrl).host,
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
    await assertFuzz(
      fc.asyncProperty(restRequests(fx), async (request) => {
        const res = await rawRequest(server.baseUrl, request);
        const headerBytes = headBytes(request);
        if (headerBytes > MAX_HEADER_BYTES + HEAD_SLACK) {
          expect(res.status).toBe(431);
          expect(await digest()).toBe(before);
        } else if (res.status === 431 && headerBytes > MAX_HEADER_BYTES - HEAD_SLACK) {
          expect(await digest()).toBe(before);
        } else if (res.status >= 200 && res.status < 300) {
          // Both buffered writers, so a later timed flush is not taken for a rejection's write.
          await server.app.heartbeats.flush();
          await server.app.telemetry.flush();
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
      300,
      6_000,
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
    await assertFuzz(
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
          headers: { host: fx.host, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status, res.body).toBe(400);
        expect(ErrorBody.parse(JSON.parse(res.body)).error.code).toBe(ErrorCode.invalidBody);
        expect(await digest()).toBe(before);
      }),
      30,
      4_000,
    );
  });
});
