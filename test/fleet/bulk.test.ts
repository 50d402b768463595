/**
 * Bulk operations by filter live in fleet: moveAgents, revokeAgents and createActions resolve the
 * agent filter (queries.ts → bulkTargets) in the same transaction as the change, write one audit
 * batch, roll back completely when anything fails midway, and enforce one cap (MAX_BULK_AGENTS)
 * with a typed error — also through GraphQL.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { enrolAgent, moveAgents, revokeAgents, setAgentLabels } from '../../api/fleet/agents.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { MAX_BULK_AGENTS } from '../../api/fleet/queries.ts';
import type { FleetError } from '../../api/fleet/errors.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { enrolBody, mintToken, uniqueSlug } from '../helpers/factories.ts';
import { createTestUser, gqlData, type TestUser } from '../graphql/helpers.ts';

let server: TestServer;
let editor: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
  await registerRelease(server.ctx, { version: '0.9.0', bundle: Buffer.from('x') });
});
afterAll(() => server.close());

const fail = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: FleetError) => e,
  );

/** A new group with `n` enrolled agents labelled `batch=<label>`; returns the group and agent ids. */
async function labelledAgents(n: number) {
  const group = await createGroup(server.ctx, CLI_ACTOR, {
    slug: uniqueSlug('bulk'),
    name: uniqueSlug('Bulk'),
  });
  const token = await mintToken(server.ctx, group.id, n);
  const label = crypto.randomBytes(4).toString('hex');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { agent } = await enrolAgent(server.ctx, enrolBody(token));
    await setAgentLabels(server.ctx, CLI_ACTOR, { agentId: agent.id, labels: { batch: label } });
    ids.push(agent.id);
  }
  return { group, ids, filter: { labels: [{ key: 'batch', value: label }] } };
}

/** Make every audit insert for `agentId` fail, as a failure midway through a bulk change. */
async function failAuditOf(agentId: string): Promise<() => Promise<void>> {
  const name = `fail_audit_${crypto.randomBytes(4).toString('hex')}`;
  await server.ctx.db.$executeRawUnsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger AS $$
    BEGIN
      IF NEW.target_id = '${agentId}' THEN RAISE EXCEPTION 'injected failure'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql`);
  await server.ctx.db.$executeRawUnsafe(
    `CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}()`,
  );
  return async () => {
    await server.ctx.db.$executeRawUnsafe(`DROP TRIGGER ${name} ON audit_events`);
    await server.ctx.db.$executeRawUnsafe(`DROP FUNCTION ${name}()`);
  };
}

const auditOf = (ids: string[], action: string) =>
  server.ctx.db.auditEvent.findMany({ where: { targetId: { in: ids }, action } });

describe('bulk operations by filter', () => {
  it('moves every matching agent in one transaction with one audit batch', async () => {
    const { ids, filter } = await labelledAgents(3);
    const bystander = await labelledAgents(1);
    const target = await createGroup(server.ctx, CLI_ACTOR, {
      slug: uniqueSlug('to'),
      name: uniqueSlug('To'),
    });
    const outcome = await moveAgents(server.ctx, CLI_ACTOR, { filter, groupId: target.id });
    expect(outcome.changed).toBe(3);
    expect([...outcome.agentIds].sort()).toEqual([...ids].sort());
    const rows = await server.ctx.db.agent.findMany({ where: { id: { in: [...ids, ...bystander.ids] } } });
    for (const r of rows) expect(r.groupId).toBe(ids.includes(r.id) ? target.id : bystander.group.id);
    const audit = await auditOf(ids, 'agent.move');
    expect(audit).toHaveLength(3);
    expect(new Set(audit.map((a) => (a.after as { batchId: string }).batchId)).size).toBe(1);
  });

  it('a failure midway through a move changes nothing', async () => {
    const { group, ids, filter } = await labelledAgents(3);
    const target = await createGroup(server.ctx, CLI_ACTOR, {
      slug: uniqueSlug('to'),
      name: uniqueSlug('To'),
    });
    const restore = await failAuditOf(ids[1]);
    try {
      await expect(moveAgents(server.ctx, CLI_ACTOR, { filter, groupId: target.id })).rejects.toThrow(
        /injected failure/,
      );
    } finally {
      await restore();
    }
    const rows = await server.ctx.db.agent.findMany({ where: { id: { in: ids } } });
    expect(rows.map((r) => [r.groupId, r.configResetPending])).toEqual(ids.map(() => [group.id, false]));
    expect(await auditOf(ids, 'agent.move')).toEqual([]);
  });

  it('revokes every matching agent and cancels their pending actions, or nothing when it fails', async () => {
    const { ids, filter } = await labelledAgents(3);
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      filter,
      type: 'upgrade_agent',
      payload: { targetVersion: '0.9.0' },
    });
    expect(actions).toHaveLength(3);
    const restore = await failAuditOf(ids[2]);
    try {
      await expect(revokeAgents(server.ctx, CLI_ACTOR, { filter })).rejects.toThrow(/injected failure/);
    } finally {
      await restore();
    }
    // Never heard from, the agents' actions wait for them; revoking cancels pending and waiting alike.
    const pending = {
      where: {
        id: { in: actions.map((a) => a.id) },
        status: { in: ['pending' as const, 'waiting' as const] },
      },
    };
    expect(await server.ctx.db.agent.count({ where: { id: { in: ids }, revokedAt: null } })).toBe(3);
    expect(await server.ctx.db.action.count(pending)).toBe(3);

    expect((await revokeAgents(server.ctx, CLI_ACTOR, { filter })).changed).toBe(3);
    expect(await server.ctx.db.agent.count({ where: { id: { in: ids }, revokedAt: null } })).toBe(0);
    expect(await server.ctx.db.action.count(pending)).toBe(0);
    const audit = await auditOf(ids, 'agent.revoke');
    expect(audit).toHaveLength(3);
    expect(new Set(audit.map((a) => (a.after as { batchId: string }).batchId)).size).toBe(1);
    // Revoked agents no longer match a filter: nothing left to revoke.
    expect((await fail(revokeAgents(server.ctx, CLI_ACTOR, { filter })))?.code).toBe('validation_failed');
  });

  it('takes the filter through GraphQL: one mutation, the count of agents changed', async () => {
    const { ids, filter } = await labelledAgents(2);
    const REVOKE = `mutation($input: RevokeAgentsInput!) { revokeAgents(input: $input) {
      __typename ... on RevokeAgentsPayload { count targeted agents { id revoked } } } }`;
    const data = await gqlData(server.baseUrl, REVOKE, { input: { filter } }, { token: editor.token });
    expect(data.revokeAgents).toMatchObject({ __typename: 'RevokeAgentsPayload', count: 2, targeted: 2 });
    expect(data.revokeAgents.agents.map((a: { id: string }) => a.id).sort()).toEqual([...ids].sort());
  });

  it('wants ids or a filter, not both and not neither', async () => {
    const { ids, filter } = await labelledAgents(1);
    for (const input of [{ agentIds: ids, filter }, {}]) {
      const error = await fail(revokeAgents(server.ctx, CLI_ACTOR, input));
      expect(error?.code).toBe('validation_failed');
      expect(error?.issues[0].path).toBe('agentIds');
    }
  });
});

describe('the bulk cap (MAX_BULK_AGENTS)', () => {
  it('refuses more ids than the cap with too_many_agents', async () => {
    const agentIds = Array.from({ length: MAX_BULK_AGENTS + 1 }, () => crypto.randomUUID());
    const group = await createGroup(server.ctx, CLI_ACTOR, {
      slug: uniqueSlug('cap'),
      name: uniqueSlug('Cap'),
    });
    for (const run of [
      () => moveAgents(server.ctx, CLI_ACTOR, { agentIds, groupId: group.id }),
      () => revokeAgents(server.ctx, CLI_ACTOR, { agentIds }),
      () =>
        createActions(server.ctx, CLI_ACTOR, {
          agentIds,
          type: 'upgrade_agent',
          payload: { targetVersion: '0.9.0' },
        }),
    ]) {
      const error = await fail(run());
      expect(error?.code).toBe('too_many_agents');
      expect(error?.issues[0]).toMatchObject({ path: 'agentIds' });
    }
  });

  it('refuses a filter matching more agents than the cap, as a typed GraphQL error', async () => {
    const group = await createGroup(server.ctx, CLI_ACTOR, {
      slug: uniqueSlug('many'),
      name: uniqueSlug('Many'),
    });
    // Enough rows to pass the cap, inserted in one statement (enrolling 100,001 agents one by one would take minutes).
    await server.ctx.db.$executeRaw`
      INSERT INTO agents (id, group_id, token_hash, hostname, platform, os, kernel, agent_version, vector_version, updated_at)
      SELECT gen_random_uuid(), ${group.id}::uuid, 'cap-' || n, 'cap-' || n, 'linux', '', '', '0.1.0', '0.58.0', now()
      FROM generate_series(1, ${MAX_BULK_AGENTS + 1}) AS n`;
    const target = await createGroup(server.ctx, CLI_ACTOR, {
      slug: uniqueSlug('to'),
      name: uniqueSlug('To'),
    });
    const MOVE = `mutation($input: MoveAgentsInput!) { moveAgents(input: $input) {
      __typename ... on MoveAgentsPayload { count } ... on Error { code fields { path } } } }`;
    const data = await gqlData(
      server.baseUrl,
      MOVE,
      { input: { filter: { groupIds: [group.id] }, groupId: target.id } },
      { token: editor.token },
    );
    expect(data.moveAgents).toEqual({
      __typename: 'ValidationError',
      code: 'too_many_agents',
      fields: [{ path: 'filter' }],
    });
    expect(await server.ctx.db.agent.count({ where: { groupId: target.id } })).toBe(0);
  }, 120_000);
});
