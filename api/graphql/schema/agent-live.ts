/**
 * agentUpdated: changes to one agent, a group's agents or the fleet, coalesced in batches, including
 * the config status changes a publish or a rollout's pins cause.
 */
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { liveBatches, sharedRead, source, type LiveBatch, type LiveHit } from '../live.ts';
import type { FleetEvents } from '../../fleet/events.ts';
import { HOSTNAME_ORDER } from './agent.ts';

const AgentUpdate = builder.objectRef<LiveBatch>('AgentUpdate').implement({
  description: 'Agents that changed since the previous message, each at its latest state.',
  fields: (t) => ({
    agents: t.prismaField({
      type: ['Agent'],
      // One read per batch cut and selection, shared by every dashboard that got the same batch.
      resolve: (query, batch, _args, ctx) =>
        sharedRead(`agents ${batch.at} ${JSON.stringify(query)} ${batch.ids.join(',')}`, () =>
          ctx.fleet.db.agent.findMany({
            ...query,
            where: { id: { in: batch.ids } },
            orderBy: HOSTNAME_ORDER,
          }),
        ),
    }),
    membershipChanged: t.exposeBoolean('membershipChanged', {
      description: 'Agents enrolled, moved or were revoked: refetch lists that depend on membership.',
    }),
  }),
});

const MEMBERSHIP_CHANGES = new Set(['enrolled', 'moved', 'revoked']);
/** The hits of one agentsSeen message for fleet-wide watchers, made once per message, not per watcher. */
const fleetHitsOf = new WeakMap<FleetEvents['agentsSeen'], LiveHit[]>();

function fleetHits(e: FleetEvents['agentsSeen']): LiveHit[] {
  const known = fleetHitsOf.get(e);
  if (known) return known;
  const hits = e.agentIds.map((id): LiveHit => ({ id, membership: false }));
  fleetHitsOf.set(e, hits);
  return hits;
}

/**
 * The agents a baseline move (configPublished) reaches: every agent of the group, read once per
 * event object and replica (every subscription gets the same object), never once per dashboard.
 */
const publishedAgentsOf = new WeakMap<FleetEvents['configPublished'], Promise<LiveHit[]>>();

function publishedAgents(ctx: GraphQLContext, e: FleetEvents['configPublished']): Promise<LiveHit[]> {
  let known = publishedAgentsOf.get(e);
  if (!known) {
    known = ctx.fleet.db.agent
      .findMany({ where: { groupId: e.groupId, revokedAt: null }, select: { id: true } })
      .then((rows) => rows.map((r): LiveHit => ({ id: r.id, membership: false })));
    publishedAgentsOf.set(e, known);
  }
  return known;
}

builder.subscriptionField('agentUpdated', (t) =>
  t.field({
    type: AgentUpdate,
    description:
      'Changes to one agent (agentId), the agents of a group (groupId, including those leaving it) or the fleet, including config status changes a publish or a rollout causes.',
    authScopes: { viewer: true },
    args: { agentId: t.arg.id(), groupId: t.arg.id() },
    subscribe: (_root, { agentId, groupId }, ctx) => {
      if (agentId && groupId)
        throw new GraphQLError('give agentId or groupId, not both', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      const pick = source('agentUpdated', (e) => {
        const watched = agentId
          ? e.agentId === agentId
          : groupId
            ? e.groupId === groupId || e.previousGroupId === groupId
            : true;
        return watched ? { id: e.agentId, membership: MEMBERSHIP_CHANGES.has(e.change) } : null;
      });
      const seen = source('agentsSeen', (e) => {
        if (!agentId && !groupId) return fleetHits(e);
        const hits = [];
        for (let i = 0; i < e.agentIds.length; i++)
          if (agentId ? e.agentIds[i] === agentId : e.groupIds[i] === groupId)
            hits.push({ id: e.agentIds[i], membership: false });
        return hits.length > 0 ? hits : null;
      });
      // A publish or a rollout's pins change the desired version, so the config status, of agents.
      const published = source('configPublished', (e) => {
        if (groupId && e.groupId !== groupId) return null;
        const hits = publishedAgents(ctx, e);
        return agentId ? hits.then((all) => all.filter((h) => h.id === agentId)) : hits;
      });
      const pins = (add: (hits: LiveHit[]) => void) =>
        ctx.services.directory.watch({
          desiredChanged: (group, ids) => {
            if (groupId && group !== groupId) return;
            const hits = ids.filter((id) => !agentId || id === agentId);
            if (hits.length > 0) add(hits.map((id) => ({ id, membership: false })));
          },
        });
      return liveBatches(ctx.fleet.events, [pick, seen, published], ctx.services.live, [pins]);
    },
    resolve: (batch) => batch,
  }),
);
