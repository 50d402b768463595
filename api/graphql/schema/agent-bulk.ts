/**
 * Changing agents: move and revoke (by ids or by filter, in one transaction) and labels, with the
 * bulk target and payload shapes other bulk mutations (agent-token.ts) share.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf } from '../context.ts';
import { INPUT_ERRORS, runFleet } from '../errors.ts';
import { moveAgents, revokeAgents, setAgentLabels, type BulkOutcome } from '../../fleet/agents.ts';
import { AgentFilter, HOSTNAME_ORDER, LabelInput, fleetFilter } from './agent.ts';

export const BULK_TARGET =
  'Target agents by `agentIds` or by `filter` (exactly one; at most fleetRules.maxBulkAgents).';
const MoveAgentsInput = builder.inputType('MoveAgentsInput', {
  description: BULK_TARGET,
  fields: (t) => ({
    agentIds: t.idList(),
    filter: t.field({ type: AgentFilter }),
    groupId: t.id({ required: true }),
  }),
});
const RevokeAgentsInput = builder.inputType('RevokeAgentsInput', {
  description: BULK_TARGET,
  fields: (t) => ({ agentIds: t.idList(), filter: t.field({ type: AgentFilter }) }),
});

/** The payload type of a bulk agent mutation: how many changed, how many were targeted, which. */
export function bulkPayload(name: string, verb: string) {
  return builder.objectRef<BulkOutcome>(name).implement({
    fields: (t) => ({
      count: t.int({ description: `Agents ${verb} (others were already).`, resolve: (o) => o.changed }),
      targeted: t.int({ description: 'Agents the request targeted.', resolve: (o) => o.agentIds.length }),
      agents: t.prismaField({
        type: ['Agent'],
        description: 'The agents targeted, by hostname (use `count` for large requests by filter).',
        resolve: (query, o, _args, ctx) =>
          ctx.fleet.db.agent.findMany({
            ...query,
            where: { id: { in: o.agentIds } },
            orderBy: HOSTNAME_ORDER,
          }),
      }),
    }),
  });
}
const MoveAgentsPayload = bulkPayload('MoveAgentsPayload', 'moved');
const RevokeAgentsPayload = bulkPayload('RevokeAgentsPayload', 'revoked');

/** The fleet input of a bulk mutation: the filter's ids checked, everything else passed on. */
export function bulkInput<I extends { filter?: typeof AgentFilter.$inferInput | null }>(input: I) {
  return { ...input, filter: input.filter ? fleetFilter(input.filter, 'input.filter') : input.filter };
}

const SetAgentLabelsInput = builder.inputType('SetAgentLabelsInput', {
  fields: (t) => ({
    agentId: t.id({ required: true }),
    labels: t.field({ type: [LabelInput], required: true, description: 'The complete new set of labels.' }),
  }),
});

builder.mutationFields((t) => ({
  moveAgents: t.field({
    type: MoveAgentsPayload,
    description: "Move agents to another group in one transaction; their next poll gets that group's config.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: MoveAgentsInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) => runFleet(() => moveAgents(ctx.fleet, actorOf(ctx), bulkInput(input))),
  }),
  revokeAgents: t.field({
    type: RevokeAgentsPayload,
    description:
      'Revoke agents in one transaction: their tokens are refused from now on and their pending actions are cancelled.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: RevokeAgentsInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) =>
      runFleet(() => revokeAgents(ctx.fleet, actorOf(ctx), bulkInput(input))),
  }),
  setAgentLabels: t.prismaField({
    type: 'Agent',
    description: "Replace an agent's labels.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: SetAgentLabelsInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'agent' } },
    resolve: async (query, _root, { input }, ctx) => {
      const labels = Object.fromEntries(input.labels.map((l) => [l.key, l.value]));
      const agent = await runFleet(() =>
        setAgentLabels(ctx.fleet, actorOf(ctx), { agentId: input.agentId, labels }),
      );
      return ctx.fleet.db.agent.findUniqueOrThrow({ ...selected(query), where: { id: agent.id } });
    },
  }),
}));
