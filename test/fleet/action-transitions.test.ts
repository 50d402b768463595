/**
 * Every action status change goes through the transition table (action-states.ts → TRANSITIONS): bulk
 * cancel, expiry (the sweeper), revoke and the single-action paths. Each path is run over one
 * action in every status, and each must end where the table says — moved when the table allows
 * it, untouched otherwise. A source check proves no other code writes an action's status.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { cancelAction, cancelBulkActions, createActions } from '../../api/fleet/actions.ts';
import { deliverActions } from '../../api/fleet/action-delivery.ts';
import { TRANSITIONS, canTransition, expireActions, fromStates } from '../../api/fleet/action-states.ts';
import { enrolAgent, revokeAgents } from '../../api/fleet/agents.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import type { ActionStatus } from '../../api/generated/prisma/client.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { enrolBody, mintToken, uniqueSlug } from '../helpers/factories.ts';

const STATUSES = Object.keys(TRANSITIONS) as ActionStatus[];
let now = new Date('2026-11-23T12:00:00Z');
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: () => now });
  await registerRelease(server.ctx, { version: '0.9.0', bundle: Buffer.from('x') });
});
afterAll(() => server.close());

async function agents(n: number): Promise<string[]> {
  const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('tr'), name: uniqueSlug('Tr') });
  const token = await mintToken(server.ctx, group.id, n);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await enrolAgent(server.ctx, enrolBody(token))).agent.id);
  return ids;
}

/** One action per status; `agentIds` has one agent per action, or one agent for all. */
async function oneActionPerStatus(agentIds: string[]): Promise<Map<string, ActionStatus>> {
  const targets = agentIds.length === 1 ? STATUSES.map(() => agentIds[0]) : agentIds;
  const created =
    agentIds.length === 1
      ? await Promise.all(targets.map(async (id) => (await create([id])).actions[0]))
      : (await create(targets)).actions;
  const before = new Map<string, ActionStatus>();
  for (const [i, action] of created.entries()) {
    await server.ctx.db.action.update({ where: { id: action.id }, data: { status: STATUSES[i] } });
    before.set(action.id, STATUSES[i]);
  }
  return before;
}

const create = (agentIds: string[]) =>
  createActions(server.ctx, CLI_ACTOR, {
    agentIds,
    type: 'upgrade_agent',
    payload: { targetVersion: '0.9.0' },
  });

/** Each action ends where the table says: `to` when allowed from its status, else unchanged. */
async function expectTableOutcome(before: Map<string, ActionStatus>, to: ActionStatus) {
  const rows = await server.ctx.db.action.findMany({ where: { id: { in: [...before.keys()] } } });
  const outcome = Object.fromEntries(rows.map((r) => [before.get(r.id)!, r.status]));
  const expected = Object.fromEntries(STATUSES.map((s) => [s, canTransition(s, to) ? to : s]));
  expect(outcome).toEqual(expected);
}

describe('action status changes follow the transition table', () => {
  it('derives the allowed from-states from the table', () => {
    for (const to of STATUSES)
      expect(fromStates(to)).toEqual(STATUSES.filter((s) => TRANSITIONS[s].includes(to)));
    expect(fromStates('cancelled')).toEqual(['pending', 'waiting']);
    expect(fromStates('expired')).toEqual(['pending', 'waiting', 'delivered', 'running']);
    expect(fromStates('waiting')).toEqual(['pending']);
    expect(fromStates('delivered')).toEqual(['pending']);
    expect(fromStates('done')).toEqual(['pending', 'waiting', 'delivered', 'running']);
    expect(fromStates('pending')).toEqual(['waiting']);
  });

  it('delivery moves pending → delivered; cancel is refused from then on, and a racing cancel and delivery never both win', async () => {
    const [agentId] = await agents(1);
    for (let round = 0; round < 8; round++) {
      const [action] = (await create([agentId])).actions;
      await server.ctx.db.action.update({ where: { id: action.id }, data: { status: 'pending' } });
      const [carried, cancelled] = await Promise.all([
        deliverActions(server.ctx, agentId, 'http://x'),
        cancelAction(server.ctx, CLI_ACTOR, { id: action.id }).then(
          () => 'cancelled',
          (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
        ),
      ]);
      const { status } = await server.ctx.db.action.findUniqueOrThrow({ where: { id: action.id } });
      if (carried.some((a) => a.id === action.id)) {
        expect(status).toBe('delivered');
        expect(cancelled).toMatch(/^invalid_transition: action is delivered: the agent already received it/);
      } else {
        expect([status, cancelled]).toEqual(['cancelled', 'cancelled']);
      }
    }
    const [last] = (await create([agentId])).actions;
    await server.ctx.db.action.update({ where: { id: last.id }, data: { status: 'pending' } });
    await deliverActions(server.ctx, agentId, 'http://x');
    await expect(cancelAction(server.ctx, CLI_ACTOR, { id: last.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    });
  });

  it('bulk cancel', async () => {
    const before = await oneActionPerStatus(await agents(STATUSES.length));
    const { bulkId } = await server.ctx.db.action.findUniqueOrThrow({ where: { id: [...before.keys()][0] } });
    await cancelBulkActions(server.ctx, CLI_ACTOR, { bulkId });
    await expectTableOutcome(before, 'cancelled');
  });

  it('expiry (the sweeper)', async () => {
    const before = await oneActionPerStatus(await agents(STATUSES.length));
    now = new Date(now.getTime() + server.ctx.tuning.current.actionDeadlineMs + 1000);
    await server.app.sweeper.runOnce();
    await expectTableOutcome(before, 'expired');
    expect(await expireActions(server.ctx)).toBe(0);
  });

  it('revoke', async () => {
    const [agentId] = await agents(1);
    const before = await oneActionPerStatus([agentId]);
    await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agentId] });
    await expectTableOutcome(before, 'cancelled');
  });

  it('no code outside action-states.ts → transitionActions / moveAction writes an action status', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const files = fs
      .readdirSync(path.join(root, 'api'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith('generated'));
    const writes = files.flatMap((file) => {
      const text = fs.readFileSync(path.join(root, 'api', file), 'utf8');
      const found = [
        ...text.matchAll(/UPDATE\s+actions\b|\baction\s*\.\s*(?:update|updateMany|upsert)\s*\(/g),
      ];
      return found.map((m) => `${file}: ${m[0]}`);
    });
    expect(writes.sort()).toEqual([
      'fleet/action-states.ts: UPDATE actions',
      'fleet/action-states.ts: action.updateMany(',
    ]);
    const source = fs.readFileSync(path.join(root, 'api/fleet/action-states.ts'), 'utf8');
    const body = (name: string) => source.slice(source.indexOf(`function ${name}(`)).split('\n}\n')[0];
    expect(body('transitionActions')).toMatch(/UPDATE actions[\s\S]*fromStates\(to\)/);
    expect(body('moveAction')).toMatch(/canTransition\(action\.status, to\)[\s\S]*action\.updateMany\(/);
  });
});
