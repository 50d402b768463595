/**
 * The fleet simulator against the real server: 50 virtual agents enrol, apply a config change
 * (a fifth of them fail validation and report configError), and complete an upgrade_agent action
 * each, with every action result acknowledged exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions, type Tuning } from '../../agent/sim/options.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { updateGroup } from '../../api/fleet/groups.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { requestTokenRotation } from '../../api/fleet/token-rotation.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';

const AGENTS = 50;
const FAILING = 10;
let server: TestServer;
let fleet: Fleet;
let groupId: string;

beforeAll(async () => {
  server = await startTestServer();
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  await registerRelease(server.ctx, { version: '2.0.0', bundle: Buffer.from('// simulated release\n') });
  fleet = await startFleet({
    ...defaultOptions(server.baseUrl, [await mintToken(server.ctx, group.id, AGENTS)], AGENTS),
    failShare: FAILING / AGENTS,
    heartbeatIntervalMs: 1000,
    pollIntervalMs: 300,
    longPollSeconds: 10,
    applyDelayMs: 20,
    upgradeDelayMs: 100,
    enrolConcurrency: 10,
  });
});

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await server?.close();
});

/** Five simulated agents of a new group in poll mode (as against a server that offers no long-poll). */
async function pollModeFleet(tuning: Partial<Tuning>): Promise<Fleet> {
  const group = await createGroupWithPipeline(server.ctx);
  return startFleet({
    ...defaultOptions(server.baseUrl, [await mintToken(server.ctx, group.id, 5)], 5),
    pollMode: 'poll',
    ...tuning,
  });
}

describe('fleet simulator', () => {
  it('enrols every agent and applies the first config', async () => {
    const version = (await server.ctx.db.group.findUniqueOrThrow({ where: { id: groupId } })).configVersion;
    const snap = await fleet.waitFor((s) => {
      const v = s.versions[String(version)];
      return v !== undefined && v.applied + v.failed === AGENTS;
    }, 15_000);
    expect(snap.agents).toMatchObject({ enrolled: AGENTS, enrolFailed: 0, failing: FAILING });
    expect(snap.versions[String(version)]).toMatchObject({ applied: AGENTS - FAILING, failed: FAILING });
    // Every agent is holding a long-poll once it is up to date.
    await fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) === AGENTS, 5000);
  });

  it('polls plainly (no wait) in poll mode, as against a server that offers no long-poll', async () => {
    const plain = await pollModeFleet({ pollIntervalMs: 200 });
    try {
      await plain.waitFor((s) => (s.requests.byStatus.config?.['204'] ?? 0) >= 10, 10_000);
    } finally {
      const report = await plain.stop();
      expect(report.requests.byRoute).not.toHaveProperty('config-wait');
      expect(report.requests.byRoute.config).not.toHaveProperty('error');
    }
  });

  it('stops at once while every agent waits out a long interval (each agent has its own stop signal)', async () => {
    const waiting = await pollModeFleet({ pollIntervalMs: 600_000, heartbeatIntervalMs: 600_000 });
    await waiting.waitFor((s) => (s.requests.byStatus.config?.['200'] ?? 0) === 5, 10_000);
    // Every agent now sleeps ten minutes before its next poll: only its stop signal ends the wait,
    // so stop() resolving well inside this test's timeout shows finish() aborted each of them.
    const report = await waiting.stop();
    expect(report.agents.enrolled).toBe(5);
  }, 20_000);

  it('delivers a config change to every agent; the failing share reports configError', async () => {
    const changedAt = Date.now();
    const group = await updateGroup(server.ctx, CLI_ACTOR, { id: groupId, name: `Renamed ${changedAt}` });
    fleet.markChange(group.configVersion, changedAt);
    await fleet.waitFor((s) => {
      const v = s.versions[String(group.configVersion)];
      return v !== undefined && v.applied + v.failed === AGENTS;
    }, 10_000);
    const reported = async () =>
      server.ctx.db.agent.groupBy({
        by: ['appliedConfigVersion', 'configErrorVersion'],
        where: { groupId },
        _count: true,
      });
    await expect
      .poll(reported, { timeout: 5000 })
      .toEqual(
        expect.arrayContaining([
          expect.objectContaining({ appliedConfigVersion: group.configVersion, _count: AGENTS - FAILING }),
          expect.objectContaining({ configErrorVersion: group.configVersion, _count: FAILING }),
        ]),
      );
  });

  it('plays an agent older than drift and token rotation: asked to rotate, it keeps its token and heartbeats', async () => {
    const { ok } = (await fleet.waitFor(() => true, 1000)).heartbeats;
    await requestTokenRotation(server.ctx, CLI_ACTOR, { filter: { groupIds: [groupId] } });
    await updateGroup(server.ctx, CLI_ACTOR, { id: groupId, selfHeal: false });
    const after = await fleet.waitFor((s) => s.heartbeats.ok >= ok + 2 * AGENTS, 10_000);
    expect(after.heartbeats.failed).toBe(0);
    const rows = await server.ctx.db.agent.findMany({ where: { groupId } });
    expect(rows).toHaveLength(AGENTS);
    for (const row of rows) {
      // No token was minted for it (it does not announce token_rotation), and nothing marks it drifted.
      expect(row).toMatchObject({ nextTokenHash: null, runningConfigSha256: null, configDriftedAt: null });
      expect(row.tokenRotationRequestedAt).not.toBeNull();
    }
  });

  it('completes an upgrade action on every agent with no result lost or duplicated', async () => {
    const agents = await server.ctx.db.agent.findMany({ where: { groupId }, select: { id: true } });
    await createActions(server.ctx, CLI_ACTOR, {
      agentIds: agents.map((a) => a.id),
      type: 'upgrade_agent',
      payload: { targetVersion: '2.0.0' },
    });
    await fleet.waitFor(
      (s) => s.actions.done === AGENTS && s.actions.resultsAcknowledged === 2 * AGENTS,
      10_000,
    );
    const actions = await server.ctx.db.action.findMany({
      where: { agentId: { in: agents.map((a) => a.id) } },
    });
    expect(actions.map((a) => a.status)).toEqual(new Array(AGENTS).fill('done'));
    expect(actions[0].result).toEqual({ fromVersion: '0.1.0', toVersion: '2.0.0' });

    const report = await fleet.stop();
    expect(report.actions).toMatchObject({
      received: AGENTS,
      done: AGENTS,
      lost: 0,
      duplicated: 0,
      redelivered: 0,
    });
    expect(report.heartbeats.failed).toBe(0);
    for (const statuses of Object.values(report.requests.byRoute)) {
      expect(statuses).not.toHaveProperty('timeout');
      expect(statuses).not.toHaveProperty('error');
    }
    expect(report.requests.byRoute.release).toEqual({ '200': AGENTS });
    const change = report.configs.find((c) => c.reference === 'change');
    expect(change).toMatchObject({ applied: AGENTS - FAILING, failed: FAILING });
    expect(change?.propagationMs.count).toBe(AGENTS - FAILING);
    expect(report.latencyMs.heartbeat.count).toBe(report.heartbeats.ok);
  });
});
