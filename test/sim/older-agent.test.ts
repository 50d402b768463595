/**
 * The older-agent compatibility case: simulated agents that send none of the newer heartbeat fields
 * and know only upgrade_agent keep working against this server. validate_config, collect_diagnostics
 * and restart_vector reach them and come back failed with `unsupported action type`, and nothing
 * waits or hangs: every action ends in a final status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { updateDraft } from '../../api/fleet/pipeline/draft.ts';
import { validateDraft } from '../../api/fleet/validate-sample.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { DEMO_PIPELINE, createGroupWithPipeline, mintToken, waitFor } from '../helpers/factories.ts';

const AGENTS = 3;
let server: TestServer;
let fleet: Fleet;
let groupId: string;

beforeAll(async () => {
  server = await startTestServer();
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  fleet = await startFleet({
    ...defaultOptions(server.baseUrl, [await mintToken(server.ctx, group.id, AGENTS)], AGENTS),
    heartbeatIntervalMs: 500,
    pollIntervalMs: 300,
    applyDelayMs: 20,
  });
});

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await server?.close();
});

describe('an agent that knows none of the new actions', () => {
  it('reports validate_config, collect_diagnostics and restart_vector failed as unsupported', async () => {
    await waitFor(
      async () =>
        (await server.ctx.db.agent.count({ where: { groupId, lastHeartbeatAt: { not: null } } })) === AGENTS
          ? true
          : undefined,
      15_000,
    );
    await updateDraft(server.ctx, CLI_ACTOR, { groupId, revision: 0, document: DEMO_PIPELINE });
    const validation = await validateDraft(server.ctx, CLI_ACTOR, { groupId, sampleSize: AGENTS });
    const agentIds = validation.actions.map((a) => a.agentId);
    expect(agentIds).toHaveLength(AGENTS);
    const others = await Promise.all(
      (['collect_diagnostics', 'restart_vector'] as const).map((type) =>
        createActions(server.ctx, CLI_ACTOR, { agentIds, type, payload: {} }),
      ),
    );
    const ids = [validation, ...others].flatMap((c) => c.actions.map((a) => a.id));
    const finished = await waitFor(async () => {
      const rows = await server.ctx.db.action.findMany({ where: { id: { in: ids } } });
      return rows.every((r) => r.status === 'failed') ? rows : undefined;
    }, 30_000);
    for (const row of finished)
      expect(row.result).toEqual({ error: `unsupported action type "${row.type}"` });
  });
});
