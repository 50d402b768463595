/**
 * protocol.md → Errors: every request field is bounded to what the database stores. Values the
 * database would refuse (NUL, unpaired surrogates, out-of-range integers and times, deep JSON) get
 * 400 invalid_body naming the field, and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { MAX_JSON_DEPTH } from '../../api/protocol/storable.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolBody,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
});
afterAll(() => server.close());

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

/** A JSON text nesting `depth` objects: {"a":{"a":…1…}}. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1}' + '}'.repeat(depth - 1);
}

function postRaw(url: string, body: string, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

describe('request bounds', () => {
  it('refuses heartbeat fields the database cannot store with 400 naming the field, storing nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const url = server.baseUrl + paths.heartbeat(agent.agentId);
    const cases: [string, Record<string, unknown>][] = [
      ['agentVersion', { agentVersion: '0.1.0\u0000x' }],
      ['vectorVersion', { vectorVersion: 'v\ud800' }],
      ['appliedConfigVersion', { appliedConfigVersion: 99_999_999_999 }],
      ['vectorUptimeSeconds', { vectorUptimeSeconds: 1e12 }],
      ['vectorUptimeSeconds', { vectorUptimeSeconds: 1e300 }],
      ['configError.version', { configError: { version: 2 ** 31, message: 'x' } }],
      ['configError.message', { configError: { version: 1, message: 'bad \u0000 byte' } }],
      ['actionResults.0.actionId', { actionResults: [{ actionId: 'a\u0000', status: 'done' }] }],
      [
        'actionResults.0.result',
        { actionResults: [{ actionId: crypto.randomUUID(), status: 'done', result: { 'k\u0000': 1 } }] },
      ],
    ];
    for (const [field, override] of cases) {
      const res = await postJson(url, { ...heartbeatBody(), ...override }, agent.agentToken);
      expect(res.status, field).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_body');
      expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    }
    expect(server.app.heartbeats.size).toBe(0);
    await server.app.heartbeats.flush();
    const row = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(row.lastHeartbeatAt).toBeNull();
  });

  it('refuses a 3,000-level nested action result with 400 and leaves the action untouched', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const action = await server.ctx.db.action.create({
      data: { agentId: agent.agentId, type: 'upgrade_agent', deadline: new Date(Date.now() + 3_600_000) },
    });
    const body = JSON.stringify(heartbeatBody()).replace(
      /}$/,
      `,"actionResults":[{"actionId":"${action.id}","status":"done","result":${nested(3000)}}]}`,
    );
    const deep = await postRaw(server.baseUrl + paths.heartbeat(agent.agentId), body, agent.agentToken);
    expect(deep.status).toBe(400);
    const error = await errorOf(deep);
    expect(error.code).toBe('invalid_body');
    expect(error.message).toContain('actionResults.0.result');
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: action.id } })).status).toBe(
      'pending',
    );

    const fits = JSON.parse(nested(MAX_JSON_DEPTH)) as Record<string, unknown>;
    const ok = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody({ actionResults: [{ actionId: action.id, status: 'done', result: fits }] }),
      agent.agentToken,
    );
    expect(ok.status).toBe(200);
    const done = await server.ctx.db.action.findUniqueOrThrow({ where: { id: action.id } });
    expect(done.status).toBe('done');
    expect(done.result).toEqual(fits);
  });

  it('refuses NUL and unpaired surrogates in enrolment fields with 400, creating no agent', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id);
    for (const [field, value] of [
      ['hostname', 'web\u00001'],
      ['os', 'Debian\udc00'],
      ['kernel', '\u0000'],
      ['agentVersion', '0.1.0\u0000'],
      ['groupSlug', 'x\u0000'],
      ['bootstrapToken', `${token}\u0000`],
    ] as const) {
      const res = await postJson(server.baseUrl + paths.enrol, enrolBody(token, { [field]: value }));
      expect(res.status, field).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_body');
      expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    }
    expect(await server.ctx.db.agent.count({ where: { groupId: group.id } })).toBe(0);
  });

  it('answers a malformed %-escape or a NUL in the path 400 invalid_path, authenticated or not', async () => {
    for (const path of [
      '/api/v1/agents/%E0%A4%A/config?since=0',
      '/api/v1/agents/%E0%A4%A/heartbeat',
      '/api/v1/agents/%00/config?since=0',
      '/api/v1/agents/releases/%ZZ',
    ]) {
      const method = path.endsWith('heartbeat') ? 'POST' : 'GET';
      const res = await fetch(server.baseUrl + path, { method });
      expect(res.status, path).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_path');
    }
  });
});
