/**
 * agent-status.ts: the TypeScript predicate, the Prisma filter (counted through it, and through the
 * agents list's agentWhere) and the SQL fragment (through the fleet summary aggregate and the
 * offline sweep) agree on every boundary case, pinned agents (desired = pin) included. One group
 * per case, so a per-group count names the status the database gives that one agent. The threshold
 * is a fleet setting: the table runs with one other than the default, so a form that kept a
 * constant of its own fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import {
  AGENT_STATUSES,
  CONFIG_STATUSES,
  agentStatus,
  agentStatusWhere,
  configStatus,
  configStatusWhere,
  desiredVersion,
  statusGroups,
  type AgentStatus,
  type ConfigStatus,
} from '../../api/fleet/agent-status.ts';
import { agentWhere } from '../../api/fleet/queries.ts';
import { updateFleetSettings } from '../../api/fleet/settings.ts';
import { DEFAULT_OFFLINE_AFTER_SECONDS } from '../../api/fleet/settings-rules.ts';
import { fleetSummary } from '../../api/fleet/summary.ts';
import { sweepOffline } from '../../api/fleet/liveness.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { enrolAgent } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { enrolBody, mintToken, uniqueSlug } from '../helpers/factories.ts';

const now = new Date('2026-11-23T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const DESIRED = 5;
/** The offline threshold the table runs with: the setting, 7 minutes (the default is 5). */
const OFFLINE_AFTER_MS = 7 * 60 * 1000;

interface Case {
  name: string;
  lastHeartbeatAt: Date | null;
  applied: number;
  errorVersion: number | null;
  /** When the agent's config file started to differ from what it applied (drift.ts); default none. */
  driftedAt?: Date;
  /** A rollout's pin (agent_config_pins): the agent's desired version instead of DESIRED. */
  pin?: number;
  status: AgentStatus;
  config: ConfigStatus;
}

const CASES: Case[] = [
  {
    name: 'heartbeat 1 ms inside the threshold',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS - 1),
    applied: 5,
    errorVersion: null,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'heartbeat exactly at the threshold',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS),
    applied: 5,
    errorVersion: null,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'heartbeat 1 ms past the threshold',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS + 1),
    applied: 5,
    errorVersion: null,
    status: 'offline',
    config: 'up_to_date',
  },
  {
    name: 'heartbeat long ago, one version behind (behind because offline)',
    lastHeartbeatAt: ago(30 * OFFLINE_AFTER_MS),
    applied: 4,
    errorVersion: null,
    status: 'offline',
    config: 'behind',
  },
  {
    name: 'one version behind, heartbeat exactly at the threshold (still updating)',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS),
    applied: 4,
    errorVersion: null,
    status: 'online',
    config: 'updating',
  },
  {
    name: 'one version behind, heartbeat 1 ms past the threshold',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS + 1),
    applied: 4,
    errorVersion: null,
    status: 'offline',
    config: 'behind',
  },
  {
    name: 'heartbeat stamped after now (skew)',
    lastHeartbeatAt: ago(-1000),
    applied: 5,
    errorVersion: null,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'never seen',
    lastHeartbeatAt: null,
    applied: 0,
    errorVersion: null,
    status: 'never_seen',
    config: 'behind',
  },
  {
    name: 'one version behind, online (updating)',
    lastHeartbeatAt: ago(0),
    applied: 4,
    errorVersion: null,
    status: 'online',
    config: 'updating',
  },
  {
    name: 'ahead of the group (counts as up to date)',
    lastHeartbeatAt: ago(0),
    applied: 6,
    errorVersion: null,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'error for the newest version',
    lastHeartbeatAt: ago(0),
    applied: 4,
    errorVersion: 5,
    status: 'online',
    config: 'failed',
  },
  {
    name: 'error for the newest version while reporting it applied',
    lastHeartbeatAt: ago(0),
    applied: 5,
    errorVersion: 5,
    status: 'online',
    config: 'failed',
  },
  {
    name: 'error for an older version (not tried the newest yet)',
    lastHeartbeatAt: ago(0),
    applied: 3,
    errorVersion: 4,
    status: 'online',
    config: 'updating',
  },
  {
    name: 'error for an older version, never seen since',
    lastHeartbeatAt: null,
    applied: 5,
    errorVersion: 4,
    status: 'never_seen',
    config: 'up_to_date',
  },
  {
    name: 'config file edited on the host',
    lastHeartbeatAt: ago(0),
    applied: 5,
    errorVersion: null,
    driftedAt: ago(1000),
    status: 'online',
    config: 'drifted',
  },
  {
    name: 'drifted and behind (drift wins)',
    lastHeartbeatAt: ago(0),
    applied: 4,
    errorVersion: null,
    driftedAt: ago(1000),
    status: 'online',
    config: 'drifted',
  },
  {
    name: 'drifted, then failed the newest version (failure wins)',
    lastHeartbeatAt: ago(0),
    applied: 4,
    errorVersion: 5,
    driftedAt: ago(1000),
    status: 'online',
    config: 'failed',
  },
  {
    name: 'pinned back to an older version by a revert, and running it',
    lastHeartbeatAt: ago(0),
    applied: 4,
    errorVersion: 5,
    pin: 4,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'pinned back to an older version, still running the newer one, online',
    lastHeartbeatAt: ago(0),
    applied: 5,
    errorVersion: null,
    pin: 4,
    status: 'online',
    config: 'updating',
  },
  {
    name: 'pinned back to an older version, still running the newer one, offline',
    lastHeartbeatAt: ago(OFFLINE_AFTER_MS + 1),
    applied: 5,
    errorVersion: null,
    pin: 4,
    status: 'offline',
    config: 'behind',
  },
  {
    name: 'pinned back to an older version that failed too',
    lastHeartbeatAt: ago(0),
    applied: 5,
    errorVersion: 4,
    pin: 4,
    status: 'online',
    config: 'failed',
  },
  {
    name: 'pinned ahead of the group by a rollout stage, which failed',
    lastHeartbeatAt: ago(0),
    applied: 5,
    errorVersion: 6,
    pin: 6,
    status: 'online',
    config: 'failed',
  },
  {
    name: 'pinned ahead of the group, the stage has not reached it yet, never seen',
    lastHeartbeatAt: null,
    applied: 5,
    errorVersion: null,
    pin: 6,
    status: 'never_seen',
    config: 'behind',
  },
  {
    name: 'pinned ahead of the group and running the pin',
    lastHeartbeatAt: ago(0),
    applied: 6,
    errorVersion: 5,
    pin: 6,
    status: 'online',
    config: 'up_to_date',
  },
  {
    name: 'pinned ahead, drifted',
    lastHeartbeatAt: ago(0),
    applied: 6,
    errorVersion: null,
    driftedAt: ago(1000),
    pin: 6,
    status: 'online',
    config: 'drifted',
  },
];

let server: TestServer;
const groupOf = new Map<string, string>();
beforeAll(async () => {
  server = await startTestServer({ clock: () => now });
  expect(OFFLINE_AFTER_MS).not.toBe(DEFAULT_OFFLINE_AFTER_SECONDS * 1000);
  await updateFleetSettings(server.ctx, CLI_ACTOR, { offlineAfterSeconds: OFFLINE_AFTER_MS / 1000 });
  expect(server.ctx.tuning.current.offlineAfterMs).toBe(OFFLINE_AFTER_MS);
  for (const c of CASES) {
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('status'), name: c.name });
    await server.ctx.db.group.update({ where: { id: group.id }, data: { configVersion: DESIRED } });
    const { agent } = await enrolAgent(server.ctx, enrolBody(await mintToken(server.ctx, group.id)));
    await server.ctx.db.agent.update({
      where: { id: agent.id },
      data: {
        lastHeartbeatAt: c.lastHeartbeatAt,
        appliedConfigVersion: c.applied,
        configErrorVersion: c.errorVersion,
        configDriftedAt: c.driftedAt ?? null,
      },
    });
    if (c.pin !== undefined)
      await server.ctx.db.agentConfigPin.create({
        data: { agentId: agent.id, groupId: group.id, version: c.pin },
      });
    groupOf.set(c.name, group.id);
  }
});
afterAll(() => server.close());

const SUMMARY_KEY = {
  online: 'online',
  offline: 'offline',
  never_seen: 'neverSeen',
  up_to_date: 'upToDate',
  updating: 'updating',
  behind: 'behind',
  failed: 'failed',
  drifted: 'drifted',
} as const;

describe('agent status: one rule in three forms', () => {
  it.each(CASES)('$name → $status / $config', async (c) => {
    const groupId = groupOf.get(c.name)!;
    const { db } = server.ctx;
    const row = await db.agent.findFirstOrThrow({
      where: { groupId },
      include: { group: true, configPin: true },
    });

    expect(agentStatus(row.lastHeartbeatAt, now, OFFLINE_AFTER_MS)).toBe(c.status);
    expect(configStatus(row, desiredVersion(row), now, OFFLINE_AFTER_MS)).toBe(c.config);
    const [group] = await statusGroups(db, [groupId]);

    const summary = await fleetSummary(server.ctx, groupId);
    for (const s of AGENT_STATUSES) {
      const expected = s === c.status ? 1 : 0;
      expect(
        await db.agent.count({ where: { groupId, ...agentStatusWhere(s, now, OFFLINE_AFTER_MS) } }),
        `prisma ${s}`,
      ).toBe(expected);
      const listed = await db.agent.count({
        where: await agentWhere(db, { groupIds: [groupId], statuses: [s] }, now, OFFLINE_AFTER_MS),
      });
      expect(listed, `agentWhere ${s}`).toBe(expected);
      expect(summary[SUMMARY_KEY[s]], `summary ${s}`).toBe(expected);
    }
    for (const s of CONFIG_STATUSES) {
      const expected = s === c.config ? 1 : 0;
      expect(
        await db.agent.count({ where: configStatusWhere(s, group, now, OFFLINE_AFTER_MS) }),
        `prisma ${s}`,
      ).toBe(expected);
      const listed = await db.agent.count({
        where: await agentWhere(db, { groupIds: [groupId], configStatuses: [s] }, now, OFFLINE_AFTER_MS),
      });
      expect(listed, `agentWhere ${s}`).toBe(expected);
      const queried = await db.agent.count({
        where: await agentWhere(
          db,
          { groupIds: [groupId], query: `configStatus:${s}` },
          now,
          OFFLINE_AFTER_MS,
        ),
      });
      expect(queried, `agent query ${s}`).toBe(expected);
      expect(summary[SUMMARY_KEY[s]], `summary ${s}`).toBe(expected);
    }
  });

  it('the offline sweep stamps exactly the agents the predicate calls offline', async () => {
    await sweepOffline(server.ctx);
    const rows = await server.ctx.db.agent.findMany({ where: { groupId: { in: [...groupOf.values()] } } });
    expect(rows).toHaveLength(CASES.length);
    for (const row of rows) {
      expect(row.wentOfflineAt !== null, row.hostname).toBe(
        agentStatus(row.lastHeartbeatAt, now, OFFLINE_AFTER_MS) === 'offline',
      );
    }
    expect(rows.filter((r) => r.wentOfflineAt).length).toBe(
      CASES.filter((c) => c.status === 'offline').length,
    );
  });
});
