/** rotateAgentTokens: ask agents for a token rotation at their next heartbeat (fleet/token-rotation.ts). */
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { INPUT_ERRORS, runFleet } from '../errors.ts';
import { requestTokenRotation } from '../../fleet/token-rotation.ts';
import { AgentFilter } from './agent.ts';
import { BULK_TARGET, bulkInput, bulkPayload } from './agent-bulk.ts';

const RotateAgentTokensInput = builder.inputType('RotateAgentTokensInput', {
  description: `${BULK_TARGET} An empty filter targets the whole fleet; a filter on groupIds, one group.`,
  fields: (t) => ({ agentIds: t.idList(), filter: t.field({ type: AgentFilter }) }),
});

const RotateAgentTokensPayload = bulkPayload('RotateAgentTokensPayload', 'asked to rotate their token');

builder.mutationFields((t) => ({
  rotateAgentTokens: t.field({
    type: RotateAgentTokensPayload,
    description:
      'Rotate agent tokens: each agent gets a new token in its next heartbeat answer; the old one works until the agent has used the new one. Audited.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: RotateAgentTokensInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) =>
      runFleet(() => requestTokenRotation(ctx.fleet, actorOf(ctx), bulkInput(input))),
  }),
}));
