/** protocol.md → General: the error shape, unknown routes, limits, rate limiting, request ids. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, MAX_BODY_BYTES, paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createUser } from '../../api/fleet/users.ts';
import { createApiToken } from '../../api/fleet/api-tokens.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, mintToken, postJson } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '3' } });
});
afterAll(() => server.close());

describe('errors and limits', () => {
  it('answers unknown agent routes 404 and wrong methods 405, in the error shape', async () => {
    const missing = await fetch(`${server.baseUrl}/api/v1/agents/x/unknown`);
    expect(missing.status).toBe(404);
    expect(ErrorBody.parse(await missing.json()).error.code).toBe('not_found');
    const wrongMethod = await fetch(server.baseUrl + paths.enrol);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(ErrorBody.parse(await wrongMethod.json()).error.code).toBe('method_not_allowed');
  });

  it('answers 413 for an enrolment body over 64 KiB', async () => {
    const res = await postJson(server.baseUrl + paths.enrol, {
      ...enrolBody('EBT_x'),
      pad: 'x'.repeat(MAX_BODY_BYTES),
    });
    expect(res.status).toBe(413);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('body_too_large');
  });

  it('rate-limits enrolment per address with 429 and Retry-After, creating nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id, 100);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await postJson(server.baseUrl + paths.enrol, enrolBody(token));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ErrorBody.parse(await limited!.json()).error.code).toBe('rate_limited');
    const created = statuses.filter((s) => s === 201).length;
    expect(await server.ctx.db.agent.count({ where: { groupId: group.id } })).toBe(created);
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${server.baseUrl}/healthz`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 404 agent_not_found when an operator queues an action for an unknown agent', async () => {
    await registerRelease(server.ctx, { version: '1.0.0', bundle: Buffer.from('// 1.0.0') });
    const user = await createUser(server.ctx, CLI_ACTOR, {
      email: 'ops@example.com',
      role: 'admin',
      password: 'a long password!',
    });
    const { token } = await createApiToken(server.ctx, CLI_ACTOR, { userId: user.id, name: 'ci' });
    const res = await postJson(
      server.baseUrl + paths.actions('00000000-0000-4000-8000-000000000000'),
      { type: 'upgrade_agent', payload: { targetVersion: '1.0.0' } },
      token,
    );
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('agent_not_found');
  });

  it('answers 500 internal_error with a request id when the database fails, and 503 from /readyz', async () => {
    const broken = await startTestServer();
    try {
      const group = await createGroupWithPipeline(broken.ctx);
      const token = await mintToken(broken.ctx, group.id);
      await broken.testDb.db.close();
      const res = await postJson(broken.baseUrl + paths.enrol, enrolBody(token));
      expect(res.status).toBe(500);
      const error = ErrorBody.parse(await res.json()).error;
      expect(error.code).toBe('internal_error');
      expect(error.message).toContain(res.headers.get('x-request-id'));
      expect((await fetch(`${broken.baseUrl}/readyz`)).status).toBe(503);
    } finally {
      await broken.app.stop();
      await broken.events.close();
      await broken.testDb.destroy();
    }
  });

  it('answers 400 invalid_header to a hostile Host or X-Forwarded-Proto on /install.sh and /graphql', async () => {
    const get = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${server.baseUrl}${path}`, { headers }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const host of ['x$(touch pwned)', 'a"b', 'a`id`', 'a b', "a'b"]) {
      const script = await get('/install.sh', { host });
      expect(script.status, host).toBe(400);
      expect(ErrorBody.parse(JSON.parse(script.body)).error.code).toBe('invalid_header');
      expect(script.body).not.toContain('pwned');
      const graphql = await get('/graphql?query=%7B__typename%7D', { host, 'x-flotilla-csrf': '1' });
      expect(graphql.status, host).toBe(400);
      expect(JSON.parse(graphql.body).errors[0].extensions.code).toBe('BAD_REQUEST');
    }
    const ok = await get('/install.sh', { host: 'fleet.example.com:8080' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('http://fleet.example.com:8080');
  });

  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${server.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
