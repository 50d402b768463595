/**
 * Alerts on the injected clock: the evaluator's state machine (pending → firing → resolved, the
 * `for` duration, a breach that ends before `for`), silences holding back and then releasing a
 * notification, scopes, and rule validation that stores nothing on bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import type { FleetError } from '../../api/fleet/errors.ts';
import { paths } from '../../api/protocol/v1.ts';
import { createAlertRule, createAlertSilence, updateAlertRule } from '../../api/fleet/alerts/rules.ts';
import { createChannel } from '../../api/fleet/alerts/channels.ts';
import { evaluateAlerts, nextAlertState } from '../../api/fleet/alerts/evaluate.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');
let server: TestServer;
let now = new Date('2026-12-06T10:00:00Z');
const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

beforeAll(async () => {
  server = await startTestServer({
    clock: () => now,
    env: { FLOTILLA_SECRET_KEY: KEY, FLOTILLA_ALERT_INTERVAL_SECONDS: '3600' },
  });
});
afterAll(() => server.close());

async function agentInNewGroup(): Promise<EnrolledTestAgent> {
  const group = await createGroupWithPipeline(server.ctx);
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
}

async function heartbeat(agent: EnrolledTestAgent, vectorRunning: boolean): Promise<void> {
  const res = await postJson(
    `${server.baseUrl}${paths.heartbeat(agent.agentId)}`,
    heartbeatBody({ vectorRunning, appliedConfigVersion: agent.configVersion }),
    agent.agentToken,
  );
  expect(res.ok).toBe(true);
  await server.app.heartbeats.flush({ rethrow: true });
}

const evaluate = () =>
  evaluateAlerts(server.ctx, (ruleId, error) => {
    throw new Error(`rule ${ruleId} failed: ${String(error)}`);
  });
const alertsOf = (ruleId: string) =>
  server.ctx.db.alertInstance.findMany({ where: { ruleId }, orderBy: { startedAt: 'asc' } });

describe('the alert state machine', () => {
  it('moves a subject from nothing to pending, firing and resolved, or drops a short blip', () => {
    const t = new Date('2026-01-01T00:00:00Z');
    const later = (s: number) => new Date(t.getTime() + s * 1000);
    expect(nextAlertState(null, false, 60_000, t)).toBeNull();
    expect(nextAlertState(null, true, 60_000, t)).toBe('pending');
    expect(nextAlertState(null, true, 0, t)).toBe('firing');
    const pending = { state: 'pending' as const, startedAt: t };
    expect(nextAlertState(pending, true, 60_000, later(59))).toBe('pending');
    expect(nextAlertState(pending, true, 60_000, later(60))).toBe('firing');
    expect(nextAlertState(pending, false, 60_000, later(30))).toBe('dropped');
    const firing = { state: 'firing' as const, startedAt: t };
    expect(nextAlertState(firing, true, 60_000, later(600))).toBe('firing');
    expect(nextAlertState(firing, false, 60_000, later(600))).toBe('resolved');
  });

  it('fires only after the breach lasted `for`, forgets a blip, and resolves into history', async () => {
    const agent = await agentInNewGroup();
    const rule = await createAlertRule(server.ctx, CLI_ACTOR, {
      name: `vector down ${agent.agentId}`,
      kind: 'vector_not_running',
      forSeconds: 120,
      groupId: agent.groupId,
    });
    await heartbeat(agent, false);
    await evaluate();
    expect((await alertsOf(rule.id)).map((a) => a.state)).toEqual(['pending']);

    advance(60);
    await heartbeat(agent, true);
    await evaluate();
    expect(await alertsOf(rule.id)).toEqual([]);

    await heartbeat(agent, false);
    await evaluate();
    advance(119);
    await evaluate();
    expect((await alertsOf(rule.id)).map((a) => a.state)).toEqual(['pending']);
    advance(1);
    await evaluate();
    const [firing] = await alertsOf(rule.id);
    expect(firing).toMatchObject({ state: 'firing', agentId: agent.agentId, firedAt: now });
    expect(firing.summary).toMatch(/Vector is not running/);

    advance(30);
    await heartbeat(agent, true);
    await evaluate();
    expect(await alertsOf(rule.id)).toMatchObject([{ id: firing.id, state: 'resolved', resolvedAt: now }]);

    // A new breach is a new alert; the resolved one stays as history.
    await heartbeat(agent, false);
    await updateAlertRule(server.ctx, CLI_ACTOR, { id: rule.id, forSeconds: 0 });
    await evaluate();
    expect((await alertsOf(rule.id)).map((a) => a.state)).toEqual(['resolved', 'firing']);

    // Disabling the rule resolves what it had open.
    await updateAlertRule(server.ctx, CLI_ACTOR, { id: rule.id, enabled: false });
    await evaluate();
    expect((await alertsOf(rule.id)).map((a) => a.state)).toEqual(['resolved', 'resolved']);
  });

  it('watches only its scope: a selector in the agent query language', async () => {
    const inScope = await agentInNewGroup();
    const outOfScope = await agentInNewGroup();
    const slug = (await server.ctx.db.group.findUniqueOrThrow({ where: { id: inScope.groupId } })).slug;
    const rule = await createAlertRule(server.ctx, CLI_ACTOR, {
      name: `selector ${slug}`,
      kind: 'agent_offline',
      threshold: 10,
      selector: `group:${slug}`,
    });
    await heartbeat(inScope, true);
    await heartbeat(outOfScope, true);
    advance(11 * 60);
    await evaluate();
    const alerts = await alertsOf(rule.id);
    expect(alerts.map((a) => a.agentId)).toEqual([inScope.agentId]);
    expect(alerts[0]).toMatchObject({ state: 'firing', value: 11 });
  });

  it('holds back the notification of a silenced alert and sends it when the silence expires', async () => {
    const agent = await agentInNewGroup();
    const { channel } = await createChannel(server.ctx, CLI_ACTOR, {
      name: `hook ${agent.agentId}`,
      type: 'webhook',
      url: 'http://127.0.0.1:9/never-called',
    });
    const rule = await createAlertRule(server.ctx, CLI_ACTOR, {
      name: `silenced ${agent.agentId}`,
      kind: 'vector_not_running',
      groupId: agent.groupId,
      channelIds: [channel.id],
    });
    await createAlertSilence(server.ctx, CLI_ACTOR, {
      ruleId: rule.id,
      agentId: agent.agentId,
      comment: 'maintenance',
      durationSeconds: 600,
    });
    await heartbeat(agent, false);
    await evaluate();
    const [alert] = await alertsOf(rule.id);
    expect(alert).toMatchObject({ state: 'firing', notifiedAt: null });
    expect(await server.ctx.db.alertDelivery.count({ where: { instanceId: alert.id } })).toBe(0);

    advance(601);
    await heartbeat(agent, false);
    await evaluate();
    expect((await alertsOf(rule.id))[0].notifiedAt).toEqual(now);
    const deliveries = await server.ctx.db.alertDelivery.findMany({ where: { instanceId: alert.id } });
    expect(deliveries).toMatchObject([{ channelId: channel.id, event: 'firing', state: 'pending' }]);
  });
});

describe('alert rule validation', () => {
  const refused = async (input: Record<string, unknown>) => {
    const before = await server.ctx.db.alertRule.count();
    const error = (await createAlertRule(server.ctx, CLI_ACTOR, input).catch(
      (e: unknown) => e,
    )) as FleetError;
    expect(await server.ctx.db.alertRule.count()).toBe(before);
    return { code: error.code, paths: error.issues.map((i) => i.path) };
  };

  it('refuses bad input with a typed error naming the field, storing nothing', async () => {
    const base = { name: 'r', kind: 'agent_offline', threshold: 5 };
    expect(await refused({ ...base, kind: 'cpu_melting' })).toMatchObject({
      code: 'validation_failed',
      paths: ['kind'],
    });
    expect(await refused({ ...base, threshold: null })).toMatchObject({ paths: ['threshold'] });
    expect(await refused({ ...base, threshold: 0 })).toMatchObject({ paths: ['threshold'] });
    expect(await refused({ ...base, kind: 'config_failed' })).toMatchObject({ paths: ['threshold'] });
    expect(await refused({ ...base, forSeconds: 2 ** 31 })).toMatchObject({ paths: ['forSeconds'] });
    expect(await refused({ ...base, name: 'a\u0000b' })).toMatchObject({ paths: ['name'] });
    expect(await refused({ ...base, selector: 'status:sideways' })).toMatchObject({ paths: ['selector'] });
    const group = await createGroupWithPipeline(server.ctx);
    expect(await refused({ ...base, groupId: group.id, selector: 'label.env=prod' })).toMatchObject({
      paths: ['selector'],
    });
    expect(await refused({ ...base, channelIds: [crypto.randomUUID()] })).toMatchObject({
      code: 'channel_not_found',
    });
    expect(await refused({ ...base, groupId: crypto.randomUUID() })).toMatchObject({
      code: 'group_not_found',
    });
  });

  it('refuses a second rule of the same name as a conflict', async () => {
    await createAlertRule(server.ctx, CLI_ACTOR, { name: 'unique name', kind: 'config_failed' });
    expect(await refused({ name: 'unique name', kind: 'config_failed' })).toMatchObject({ code: 'conflict' });
  });
});
