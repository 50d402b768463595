/**
 * protocol.md → Actions: validate_config (sample choice, the candidate route, secrets resolved at
 * delivery and never stored), collect_diagnostics (the upload route, its cap and typed errors,
 * redaction) and late arrivers (waiting, skipped, back online, parked by the sweep).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths, type HeartbeatResponse } from '../../api/protocol/v1.ts';
import { type DiagnosticsBundle } from '../../api/protocol/actions.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { cancelAction, createActions } from '../../api/fleet/actions.ts';
import { sweepWaitingActions } from '../../api/fleet/action-delivery.ts';
import { validateDraft } from '../../api/fleet/validate-sample.ts';
import { updateDraft } from '../../api/fleet/pipeline/draft.ts';
import { createSecret } from '../../api/fleet/secrets.ts';
import { pruneExpired } from '../../api/fleet/retention.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  DEMO_PIPELINE,
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';

const SECRET_VALUE = 'hunter2-very-secret';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_SECRET_KEY: crypto.randomBytes(32).toString('hex') } });
});
afterAll(() => server.close());

async function beat(agentId: string, token: string, overrides = {}): Promise<HeartbeatResponse['data']> {
  const res = await postJson(server.baseUrl + paths.heartbeat(agentId), heartbeatBody(overrides), token);
  expect(res.status).toBe(200);
  return ((await res.json()) as HeartbeatResponse).data;
}

/** A group with `count` enrolled agents (hostnames h-0… in order), each heard from once unless `silent`. */
async function fleet(count: number, silent: number[] = []) {
  const group = await createGroupWithPipeline(server.ctx);
  const token = await mintToken(server.ctx, group.id, 20);
  const agents = [];
  for (let i = 0; i < count; i++) {
    const agent = await enrolOverHttp(server.baseUrl, token, { hostname: `h-${i}-${group.slug}` });
    if (!silent.includes(i)) await beat(agent.agentId, agent.agentToken);
    agents.push(agent);
  }
  await waitFor(async () =>
    (await server.ctx.db.agent.count({ where: { groupId: group.id, lastHeartbeatAt: { not: null } } })) ===
    count - silent.length
      ? true
      : undefined,
  );
  return { group, agents };
}

const withSecretSink = {
  components: [
    DEMO_PIPELINE.components[0],
    {
      id: 'web',
      kind: 'sink' as const,
      type: 'http',
      options: {
        uri: 'https://logs.example.com/in',
        encoding: { codec: 'json' },
        auth: { strategy: 'basic', user: 'flotilla', password: 'SECRET[web_pw]' },
      },
      inputs: ['demo'],
      enabled: true,
      platforms: ['linux', 'kubernetes'] as ('linux' | 'kubernetes')[],
    },
  ],
};

function getCandidate(agentId: string, actionId: string, token: string) {
  return fetch(server.baseUrl + paths.actionCandidate(agentId, actionId), {
    headers: { authorization: `Bearer ${token}` },
  });
}

const bundle = (extra: Partial<DiagnosticsBundle> = {}): DiagnosticsBundle => ({
  collectedAt: new Date().toISOString(),
  agentVersion: '1.0.0',
  vectorVersion: '0.58.0',
  ...extra,
});

describe('validate_config', () => {
  it('goes to the first N online agents by hostname, and the candidate route resolves secrets only at delivery', async () => {
    const { group, agents } = await fleet(4, [0]);
    await createSecret(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'web_pw', value: SECRET_VALUE });
    await updateDraft(server.ctx, CLI_ACTOR, { groupId: group.id, revision: 0, document: withSecretSink });
    const { actions, bulkId } = await validateDraft(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      sampleSize: 2,
    });
    expect(bulkId).not.toBeNull();
    expect(actions.map((a) => a.agentId).sort()).toEqual([agents[1].agentId, agents[2].agentId].sort());
    expect(actions.every((a) => a.status === 'pending')).toBe(true);
    const stored = JSON.stringify(await server.ctx.db.action.findMany({ where: { bulkId: bulkId! } }));
    expect(stored).toContain('SECRET[web_pw]');
    expect(stored).not.toContain(SECRET_VALUE);

    const mine = actions.find((a) => a.agentId === agents[1].agentId)!;
    const answer = await beat(agents[1].agentId, agents[1].agentToken);
    const delivered = answer.pendingActions.find((a) => a.id === mine.id)!;
    expect(delivered.type).toBe('validate_config');
    expect(delivered.payload).toEqual({ source: expect.stringContaining('draft revision') });

    const res = await getCandidate(agents[1].agentId, mine.id, agents[1].agentToken);
    expect(res.status).toBe(200);
    const yaml = await res.text();
    expect(yaml).toContain(SECRET_VALUE);
    expect(res.headers.get('x-config-etag')).toBe(
      `sha256:${crypto.createHash('sha256').update(yaml).digest('hex')}`,
    );
    const audit = await server.ctx.db.auditEvent.findMany({ where: { targetId: bulkId! } });
    expect(JSON.stringify(audit)).not.toContain('SECRET[web_pw]');
    expect(JSON.stringify(audit)).toContain('yamlBytes');

    const other = await getCandidate(agents[2].agentId, mine.id, agents[2].agentToken);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'action_not_found' } });
    await beat(agents[1].agentId, agents[1].agentToken, {
      actionResults: [
        {
          actionId: mine.id,
          status: 'done',
          result: { valid: true, exitCode: 0, output: 'Validated', sha256: 'a'.repeat(64) },
        },
      ],
    });
    const after = await getCandidate(agents[1].agentId, mine.id, agents[1].agentToken);
    expect(after.status).toBe(409);
    expect(await after.json()).toMatchObject({ error: { code: 'action_not_active' } });
  });

  it('refuses a group without a draft or without online agents, and a version the group lacks', async () => {
    const { group, agents } = await fleet(1, [0]);
    await expect(validateDraft(server.ctx, CLI_ACTOR, { groupId: group.id })).rejects.toMatchObject({
      code: 'draft_not_found',
    });
    await updateDraft(server.ctx, CLI_ACTOR, { groupId: group.id, revision: 0, document: DEMO_PIPELINE });
    await expect(validateDraft(server.ctx, CLI_ACTOR, { groupId: group.id })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      createActions(server.ctx, CLI_ACTOR, {
        agentIds: [agents[0].agentId],
        type: 'validate_config',
        payload: { version: 99 },
      }),
    ).rejects.toMatchObject({ code: 'version_not_found' });
  });

  it('serves a published version as the candidate of an operator-queued action', async () => {
    const { group, agents } = await fleet(1);
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agents[0].agentId],
      type: 'validate_config',
      payload: { version: 2 },
    });
    const res = await getCandidate(agents[0].agentId, actions[0].id, agents[0].agentToken);
    expect(res.status).toBe(200);
    const rendered = await server.ctx.db.renderedConfig.findFirstOrThrow({
      where: { groupId: group.id, version: 2, platform: 'linux' },
    });
    expect(await res.text()).toBe(rendered.yaml);
  });
});

describe('collect_diagnostics', () => {
  it('stores a bundle once per action with secret values replaced; refuses other types, final actions and oversize bodies', async () => {
    const { group, agents } = await fleet(1);
    const [agent] = agents;
    await createSecret(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'diag_pw', value: SECRET_VALUE });
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'collect_diagnostics',
      payload: {},
    });
    const url = server.baseUrl + paths.actionDiagnostics(agent.agentId, actions[0].id);
    const res = await postJson(
      url,
      bundle({ runningConfig: `password: ${SECRET_VALUE}\n` }),
      agent.agentToken,
    );
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { id: string; sizeBytes: number } };
    const again = await postJson(url, bundle({ agentLog: 'second try' }), agent.agentToken);
    expect(again.status).toBe(201);
    const rows = await server.ctx.db.agentDiagnostics.findMany({ where: { agentId: agent.agentId } });
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(data.id);
    expect(Buffer.from(rows[0].content).toString()).toContain('second try');

    const first = await postJson(url, bundle({ runningConfig: `pw: ${SECRET_VALUE}` }), agent.agentToken);
    expect(first.status).toBe(201);
    const text = Buffer.from(
      (await server.ctx.db.agentDiagnostics.findFirstOrThrow({ where: { agentId: agent.agentId } })).content,
    ).toString();
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).toContain('SECRET[diag_pw]');

    const big = await postJson(url, bundle({ agentLog: 'x'.repeat(2 * 1024 * 1024) }), agent.agentToken);
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'body_too_large' } });
    const bad = await postJson(url, { collectedAt: 'yesterday' }, agent.agentToken);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_body' } });

    const restart = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'restart_vector',
      payload: {},
    });
    const wrong = await postJson(
      server.baseUrl + paths.actionDiagnostics(agent.agentId, restart.actions[0].id),
      bundle(),
      agent.agentToken,
    );
    expect(wrong.status).toBe(404);
    const unknown = await postJson(
      server.baseUrl + paths.actionDiagnostics(agent.agentId, 'not-a-uuid'),
      bundle(),
      agent.agentToken,
    );
    expect(unknown.status).toBe(404);
    await cancelAction(server.ctx, CLI_ACTOR, { id: restart.actions[0].id });
    await beat(agent.agentId, agent.agentToken, {
      actionResults: [{ actionId: actions[0].id, status: 'done', result: { diagnosticsId: data.id } }],
    });
    const late = await postJson(url, bundle(), agent.agentToken);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'action_not_active' } });
    const stranger = await postJson(url, bundle(), 'AGT_not-a-token');
    expect(stranger.status).toBe(403);
  });

  it('is pruned by retention after diagnosticsDays', async () => {
    const { agents } = await fleet(1);
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agents[0].agentId],
      type: 'collect_diagnostics',
      payload: {},
    });
    const url = server.baseUrl + paths.actionDiagnostics(agents[0].agentId, actions[0].id);
    expect((await postJson(url, bundle(), agents[0].agentToken)).status).toBe(201);
    const policy = { actionsDays: 90, auditDays: 365, revokedAgentsDays: 30, diagnosticsDays: 14 };
    const soon = await pruneExpired(server.ctx, policy, new Date(Date.now() + 13 * 86_400_000));
    expect(soon.diagnostics).toBe(0);
    const later = await pruneExpired(server.ctx, policy, new Date(Date.now() + 15 * 86_400_000));
    expect(later.diagnostics).toBeGreaterThanOrEqual(1);
    expect(await server.ctx.db.agentDiagnostics.count({ where: { agentId: agents[0].agentId } })).toBe(0);
  });
});

describe('late arrivers', () => {
  const restartFor = (agentIds: string[], offlinePolicy?: 'deliver' | 'skip') =>
    createActions(server.ctx, CLI_ACTOR, { agentIds, type: 'restart_vector', payload: {}, offlinePolicy });

  it('waits for an agent offline at creation and delivers it in the answer to its first heartbeat back; skip finishes it as skipped', async () => {
    const { agents } = await fleet(1, [0]);
    const [agent] = agents;
    const waiting = (await restartFor([agent.agentId])).actions[0];
    const skipped = (await restartFor([agent.agentId], 'skip')).actions[0];
    expect(waiting).toMatchObject({ status: 'waiting', offlinePolicy: 'deliver' });
    expect(skipped).toMatchObject({ status: 'skipped', offlinePolicy: 'skip' });
    expect(skipped.finishedAt).not.toBeNull();
    const answer = await beat(agent.agentId, agent.agentToken);
    expect(answer.pendingActions.map((a) => a.id)).toEqual([waiting.id]);
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe(
      'delivered',
    );
    const rejected = await beat(agent.agentId, agent.agentToken, {
      actionResults: [{ actionId: skipped.id, status: 'done', result: {} }],
    });
    expect(rejected.rejectedResults).toEqual([{ actionId: skipped.id, reason: 'action is already skipped' }]);
  });

  it('parks the pending actions of an agent gone offline, resumes them when the sweep sees it online, and a waiting action can be cancelled', async () => {
    const { agents } = await fleet(1);
    const [agent] = agents;
    const action = (await restartFor([agent.agentId])).actions[0];
    expect(action.status).toBe('pending');
    await server.ctx.db.agent.update({
      where: { id: agent.agentId },
      data: { lastHeartbeatAt: new Date(Date.now() - 3_600_000) },
    });
    expect((await sweepWaitingActions(server.ctx)).parked).toBeGreaterThanOrEqual(1);
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: action.id } })).status).toBe(
      'waiting',
    );
    const cancelled = await cancelAction(server.ctx, CLI_ACTOR, { id: action.id });
    expect(cancelled.status).toBe('cancelled');
    const other = (await restartFor([agent.agentId])).actions[0];
    expect(other.status).toBe('waiting');
    await server.ctx.db.agent.update({ where: { id: agent.agentId }, data: { lastHeartbeatAt: new Date() } });
    expect((await sweepWaitingActions(server.ctx)).resumed).toBeGreaterThanOrEqual(1);
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: other.id } })).status).toBe(
      'pending',
    );
  });
});
