/**
 * Enrolment limits behind a proxy (FLOTILLA_TRUST_PROXY=1, a proxy that appends to
 * X-Forwarded-For as api/deploy/nginx.conf does): a client rotating a spoofed first hop is still
 * counted as the address the proxy saw, and gets 429 with Retry-After; no agent is created for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, mintToken } from '../helpers/factories.ts';
import { ErrorBody, paths } from '../../api/protocol/v1.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_TRUST_PROXY: '1', FLOTILLA_ENROL_RATE_LIMIT: '2' } });
});
afterAll(() => server.close());

function enrolVia(forwardedFor: string, token: string) {
  return fetch(server.baseUrl + paths.enrol, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify(enrolBody(token)),
  });
}

describe('enrolment limit behind a trusted proxy', () => {
  it('counts the address the proxy saw, whatever first hop the client spoofs', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id, 100);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await enrolVia(`10.66.0.${i}, 198.51.100.20`, token);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ErrorBody.parse(await limited!.json()).error.code).toBe('rate_limited');
    expect(await server.ctx.db.agent.count({ where: { groupId: group.id } })).toBe(2);
    // Another client behind the same proxy has its own budget.
    expect((await enrolVia('198.51.100.21', token)).status).toBe(201);
  });
});
