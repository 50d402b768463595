/**
 * Rollout plans and the planner: plan validation names the bad field; stage membership is
 * deterministic (same plan, same fleet, same stages), selectors take matching agents first,
 * percentages round up; the preview writes nothing; agents enrolling during a rollout get the
 * baseline unless the plan says `newAgents: new`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetError } from '../../api/fleet/errors.ts';
import { ALL_AT_ONCE, isAllAtOnce, maxInFlightOf, parsePlan } from '../../api/fleet/rollout/plan.ts';
import { planStages, previewRollout } from '../../api/fleet/rollout/planner.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { enrolOverHttp, mintToken } from '../helpers/factories.ts';
import { groupWithAgents, pinnedTo, publishChange } from '../helpers/rollouts.ts';

let server: TestServer;
const now = new Date('2026-12-06T10:00:00Z');
beforeAll(async () => {
  server = await startTestServer({ clock: () => now, env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '600000' } });
});
afterAll(() => server.close());

const fleet = (n: number, labels: (i: number) => Record<string, string> = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    hostname: `h${i}`,
    labels: labels(i),
  }));
const GROUP = '11111111-1111-4111-8111-111111111111';

function failure(run: () => unknown): FleetError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FleetError);
    return error as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('plans', () => {
  it('fills in defaults; the default is all at once', () => {
    const plan = parsePlan({ stages: [{ count: 1 }, { percent: 100 }] });
    expect(plan).toMatchObject({ soakSeconds: 0, maxInFlight: { percent: 100 }, revertOnFailure: true });
    expect(plan.gates).toMatchObject({ applyFailedRatio: 0.05, silentAfterHeartbeats: 3 });
    expect(isAllAtOnce(plan)).toBe(false);
    expect(isAllAtOnce(parsePlan(undefined))).toBe(true);
    expect(parsePlan({})).toEqual(ALL_AT_ONCE);
  });

  it('refuses bad plans with validation_failed naming the field', () => {
    const cases: [unknown, string][] = [
      [{ stages: [{ count: 1 }] }, 'plan.stages.0'],
      [{ stages: [{ count: 1, percent: 5 }, { percent: 100 }] }, 'plan.stages.0'],
      [{ stages: [{ percent: 0 }, { percent: 100 }] }, 'plan.stages.0.percent'],
      [{ stages: Array.from({ length: 11 }, () => ({ percent: 100 })) }, 'plan.stages'],
      [{ soakSeconds: -1 }, 'plan.soakSeconds'],
      [{ maxInFlight: { count: 1, percent: 5 } }, 'plan.maxInFlight'],
      [{ gates: { applyFailedRatio: 2 } }, 'plan.gates.applyFailedRatio'],
      [{ newAgents: 'sometimes' }, 'plan.newAgents'],
    ];
    for (const [plan, path] of cases) {
      const error = failure(() => parsePlan(plan));
      expect(error.code).toBe('validation_failed');
      expect(error.issues.map((i) => i.path)).toContain(path);
    }
  });

  it('max in flight is a count or a percent of the stage, at least one', () => {
    expect(maxInFlightOf(parsePlan({ maxInFlight: { count: 3 } }), 100)).toBe(3);
    expect(maxInFlightOf(parsePlan({ maxInFlight: { percent: 10 } }), 25)).toBe(3);
    expect(maxInFlightOf(parsePlan({ maxInFlight: { percent: 1 } }), 5)).toBe(1);
  });
});

describe('the planner', () => {
  it('gives the same stages for the same plan and fleet, whatever the order agents come in', () => {
    const plan = parsePlan({ stages: [{ count: 3 }, { percent: 50 }, { percent: 100 }] });
    const agents = fleet(20);
    const a = planStages(GROUP, agents, plan).map((s) => s.map((x) => x.id));
    const b = planStages(GROUP, [...agents].reverse(), plan).map((s) => s.map((x) => x.id));
    expect(a).toEqual(b);
    expect(a.map((s) => s.length)).toEqual([3, 7, 10]);
    expect(new Set(a.flat()).size).toBe(20);
    const other = planStages('22222222-2222-4222-8222-222222222222', agents, plan).map((s) =>
      s.map((x) => x.id),
    );
    expect(other[0]).not.toEqual(a[0]);
  });

  it('rounds percentages up, so a small stage of a small group is never empty', () => {
    const plan = parsePlan({ stages: [{ percent: 1 }, { percent: 34 }, { percent: 100 }] });
    expect(planStages(GROUP, fleet(10), plan).map((s) => s.length)).toEqual([1, 3, 6]);
    expect(planStages(GROUP, fleet(0), plan).map((s) => s.length)).toEqual([0, 0, 0]);
  });

  it('a selector stage takes every matching agent left; later stages the rest', () => {
    const agents = fleet(12, (i): Record<string, string> => (i % 4 === 0 ? { canary: 'true' } : {}));
    const plan = parsePlan({
      stages: [{ selector: { key: 'canary', value: 'true' } }, { count: 5 }, { percent: 100 }],
    });
    const [canaries, second, rest] = planStages(GROUP, agents, plan);
    expect(canaries.map((a) => a.hostname).sort()).toEqual(['h0', 'h4', 'h8']);
    expect(second).toHaveLength(2);
    expect(rest).toHaveLength(7);
  });

  it('previews stage sizes, offline counts and the first hostnames without writing', async () => {
    const { group, agentIds } = await groupWithAgents(server.ctx, 30);
    await server.ctx.db.agent.update({ where: { id: agentIds[0] }, data: { lastHeartbeatAt: null } });
    const plan = parsePlan({ stages: [{ count: 2 }, { percent: 100 }] });
    const before = await server.ctx.db.rollout.count();
    const preview = await previewRollout(server.ctx, group.id, plan);
    expect(preview.agents).toBe(30);
    expect(preview.stages.map((s) => s.size)).toEqual([2, 28]);
    expect(preview.stages.reduce((n, s) => n + s.offline, 0)).toBe(1);
    expect(preview.stages[1].hostnames).toHaveLength(10);
    expect(await previewRollout(server.ctx, group.id, plan)).toEqual(preview);
    expect(await server.ctx.db.rollout.count()).toBe(before);
  }, 120_000);
});

describe('agents enrolling during a rollout', () => {
  it('get the baseline (no pin) by default, and the new version with newAgents new', async () => {
    const plan = { stages: [{ count: 1 }, { percent: 100 }], soakSeconds: 600 };
    for (const newAgents of ['previous', 'new'] as const) {
      const { group } = await groupWithAgents(server.ctx, 4);
      const version = await publishChange(server.ctx, group.id, { ...plan, newAgents });
      const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
      const pinned = await pinnedTo(server.ctx, group.id, version);
      expect(pinned.includes(agent.agentId)).toBe(newAgents === 'new');
    }
  }, 120_000);
});
