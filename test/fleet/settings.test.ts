/**
 * Fleet settings (api/fleet/settings.ts): defaults from the environment, validation (bounds, whole
 * numbers, unknown keys, the offline threshold against the heartbeat interval, admins only), the
 * audit event of a change, clearing back to the default, and the places that follow the settings in
 * effect (action deadlines, retention, the heartbeat answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor } from '../../api/fleet/context.ts';
import type { FleetError } from '../../api/fleet/errors.ts';
import { updateFleetSettings } from '../../api/fleet/settings.ts';
import { DEFAULT_OFFLINE_AFTER_SECONDS, SETTING_RULES } from '../../api/fleet/settings-rules.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { FLOTILLA_RETAIN_AUDIT_DAYS: '200', FLOTILLA_ACTION_TTL_SECONDS: '900' },
  });
});
afterAll(() => server.close());

const editor: Actor = { type: 'user', id: null, label: 'ed@example.com', role: 'editor' };
const failure = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (e: FleetError) => e,
  );

describe('fleet settings', () => {
  it('start from the defaults: the environment where it has a variable, else the built-in value', () => {
    const { snapshot, current } = server.ctx.tuning;
    expect(snapshot.revision).toBe(0);
    expect(Object.values(snapshot.stored).every((v) => v === null)).toBe(true);
    expect(snapshot.defaults).toMatchObject({
      heartbeatIntervalSeconds: null,
      pollIntervalSeconds: null,
      offlineAfterSeconds: DEFAULT_OFFLINE_AFTER_SECONDS,
      actionDeadlineSeconds: 900,
      retainAuditDays: 200,
    });
    expect(current).toMatchObject({
      heartbeatIntervalSeconds: null,
      offlineAfterMs: DEFAULT_OFFLINE_AFTER_SECONDS * 1000,
      actionDeadlineMs: 900_000,
      retention: { auditDays: 200, actionsDays: 90, revokedAgentsDays: 30 },
    });
  });

  it('refuse values out of bounds, fractions, unknown keys and non-admins, naming the field', async () => {
    const { min, max } = SETTING_RULES.heartbeatIntervalSeconds;
    const cases: [unknown, string][] = [
      [{ heartbeatIntervalSeconds: min - 1 }, 'heartbeatIntervalSeconds'],
      [{ heartbeatIntervalSeconds: max + 1 }, 'heartbeatIntervalSeconds'],
      [{ retainAuditDays: 0 }, 'retainAuditDays'],
      [{ pollIntervalSeconds: 2.5 }, 'pollIntervalSeconds'],
      [{ offlineAfterSeconds: '300' }, 'offlineAfterSeconds'],
      [{ colour: 'blue' }, '(input)'],
    ];
    for (const [input, path] of cases) {
      const error = await failure(updateFleetSettings(server.ctx, CLI_ACTOR, input));
      expect(error?.code, JSON.stringify(input)).toBe('validation_failed');
      expect(error?.issues[0].path, JSON.stringify(input)).toBe(path);
    }
    const forbidden = await failure(updateFleetSettings(server.ctx, editor, { retainAuditDays: 10 }));
    expect(forbidden?.code).toBe('forbidden');
    expect(server.ctx.tuning.snapshot.revision).toBe(0);
  });

  it('refuse an offline threshold below two heartbeat intervals, whichever side changes', async () => {
    const low = await failure(updateFleetSettings(server.ctx, CLI_ACTOR, { offlineAfterSeconds: 59 }));
    expect(low?.issues[0]).toMatchObject({ path: 'offlineAfterSeconds' });
    expect(low?.message).toContain('at least 2 heartbeat intervals (60 s with a 30 s heartbeat)');
    const slow = await failure(updateFleetSettings(server.ctx, CLI_ACTOR, { heartbeatIntervalSeconds: 200 }));
    expect(slow?.issues[0]).toMatchObject({ path: 'heartbeatIntervalSeconds' });
    const both = await updateFleetSettings(server.ctx, CLI_ACTOR, {
      heartbeatIntervalSeconds: 200,
      offlineAfterSeconds: 400,
    });
    expect(both.stored).toMatchObject({ heartbeatIntervalSeconds: 200, offlineAfterSeconds: 400 });
    await updateFleetSettings(server.ctx, CLI_ACTOR, {
      heartbeatIntervalSeconds: null,
      offlineAfterSeconds: null,
    });
  });

  it('audit a change with what changed, take effect at once, and clear back to the default with null', async () => {
    const before = server.ctx.tuning.snapshot.revision;
    const after = await updateFleetSettings(server.ctx, CLI_ACTOR, {
      retainAuditDays: 30,
      pollIntervalSeconds: 20,
    });
    expect(after.revision).toBe(before + 1);
    expect(after.updatedBy).toBe('cli');
    expect(server.ctx.tuning.current).toMatchObject({
      pollIntervalSeconds: 20,
      retention: { auditDays: 30 },
    });
    const event = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'fleet.settings' },
      orderBy: { createdAt: 'desc' },
    });
    expect(event).toMatchObject({
      actorType: 'cli',
      targetType: 'fleet_settings',
      before: { retainAuditDays: null, pollIntervalSeconds: null },
      after: { retainAuditDays: 30, pollIntervalSeconds: 20 },
    });

    const audited = () => server.ctx.db.auditEvent.count({ where: { action: 'fleet.settings' } });
    const count = await audited();
    const unchanged = await updateFleetSettings(server.ctx, CLI_ACTOR, { retainAuditDays: 30 });
    expect(unchanged.revision).toBe(after.revision);
    expect(await audited()).toBe(count);

    const cleared = await updateFleetSettings(server.ctx, CLI_ACTOR, {
      retainAuditDays: null,
      pollIntervalSeconds: null,
    });
    expect(cleared.stored).toMatchObject({ retainAuditDays: null, pollIntervalSeconds: null });
    expect(server.ctx.tuning.current).toMatchObject({
      pollIntervalSeconds: null,
      retention: { auditDays: 200 },
    });
  });

  it('never replace newer settings with an older read', async () => {
    const held = server.ctx.tuning.snapshot;
    server.ctx.tuning.adopt({
      ...held,
      revision: held.revision - 1,
      stored: { ...held.stored, retainAuditDays: 1 },
    });
    expect(server.ctx.tuning.snapshot).toBe(held);
    expect((await server.ctx.tuning.reload()).revision).toBe(held.revision);
  });

  it('give new actions the deadline in effect, and agents the intervals in their heartbeat answer', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const beat = async () =>
      (
        (await (
          await postJson(server.baseUrl + paths.heartbeat(agent.agentId), heartbeatBody(), agent.agentToken)
        ).json()) as { data: Record<string, unknown> }
      ).data;
    const unset = await beat();
    expect(unset).not.toHaveProperty('heartbeatIntervalSeconds');
    expect(unset).not.toHaveProperty('pollIntervalSeconds');

    await updateFleetSettings(server.ctx, CLI_ACTOR, {
      heartbeatIntervalSeconds: 45,
      pollIntervalSeconds: 15,
      actionDeadlineSeconds: 120,
    });
    expect(await beat()).toMatchObject({ heartbeatIntervalSeconds: 45, pollIntervalSeconds: 15 });
    const created = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'restart_vector',
      payload: {},
    });
    const [action] = created.actions;
    expect(action.deadline.getTime() - action.createdAt.getTime()).toBeGreaterThanOrEqual(119_000);
    expect(action.deadline.getTime() - action.createdAt.getTime()).toBeLessThanOrEqual(121_000);
  });
});
