/** Fleet domain: agent labels, moves and revocation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import type { FleetError } from '../../api/fleet/errors.ts';
import { moveAgents, revokeAgents, setAgentLabels } from '../../api/fleet/agents.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await registerRelease(server.ctx, { version: '0.9.0', bundle: Buffer.from('x') });
});
afterAll(() => server.close());

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
}

const fail = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as FleetError,
  );

describe('agents', () => {
  it('replaces labels, validates keys, and audits the change', async () => {
    const agent = await enrolled();
    const updated = await setAgentLabels(server.ctx, CLI_ACTOR, {
      agentId: agent.agentId,
      labels: { env: 'prod', 'team/owner': 'sre' },
    });
    expect(updated.labels).toEqual({ env: 'prod', 'team/owner': 'sre' });
    const bad = await fail(
      setAgentLabels(server.ctx, CLI_ACTOR, { agentId: agent.agentId, labels: { 'bad key!': 'x' } }),
    );
    expect(bad?.code).toBe('validation_failed');
    expect(bad?.issues[0].path).toContain('labels');
    const row = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(row.labels).toEqual({ env: 'prod', 'team/owner': 'sre' });
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { targetId: agent.agentId, action: 'agent.labels' },
    });
    expect(audit.after).toEqual({ labels: { env: 'prod', 'team/owner': 'sre' } });
  });

  it('moves agents (resetting their applied version) and refuses unknown groups or agents', async () => {
    const agent = await enrolled();
    await server.ctx.db.agent.update({ where: { id: agent.agentId }, data: { appliedConfigVersion: 5 } });
    const target = await createGroupWithPipeline(server.ctx);
    expect(
      await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId], groupId: target.id }),
    ).toEqual({ agentIds: [agent.agentId], changed: 1 });
    const moved = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(moved).toMatchObject({ groupId: target.id, appliedConfigVersion: 0, configResetPending: true });
    expect(
      (
        await fail(
          moveAgents(server.ctx, CLI_ACTOR, {
            agentIds: [agent.agentId],
            groupId: '00000000-0000-4000-8000-000000000000',
          }),
        )
      )?.code,
    ).toBe('group_not_found');
    expect(
      (
        await fail(
          moveAgents(server.ctx, CLI_ACTOR, {
            agentIds: ['00000000-0000-4000-8000-000000000000'],
            groupId: target.id,
          }),
        )
      )?.code,
    ).toBe('agent_not_found');
    expect(
      (await fail(moveAgents(server.ctx, CLI_ACTOR, { agentIds: [], groupId: target.id })))?.issues[0].path,
    ).toBe('agentIds');
  });

  it('revokes agents once and cancels their pending actions', async () => {
    const agent = await enrolled();
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'upgrade_agent',
      payload: { targetVersion: '0.9.0' },
    });
    expect((await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] })).changed).toBe(1);
    expect((await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] })).changed).toBe(0);
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: actions[0].id } })).status).toBe(
      'cancelled',
    );
    const queued = await fail(
      createActions(server.ctx, CLI_ACTOR, {
        agentIds: [agent.agentId],
        type: 'upgrade_agent',
        payload: { targetVersion: '0.9.0' },
      }),
    );
    expect(queued?.code).toBe('agent_not_found');
  });
});
