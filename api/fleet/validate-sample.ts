/**
 * "Validate on N sample agents": before publishing, the group's draft goes as a `validate_config`
 * action to a few online agents of the group, each of which runs `vector validate` on it in its
 * real environment without switching config (agent/actions/validate-config.ts).
 *
 * The sample is deterministic: the group's online, unrevoked agents of a platform the draft runs
 * on (renders non-empty), in hostname order then id, the first N. Each action's payload stores the
 * draft rendered for that agent's platform with `SECRET[name]` references only; the agent fetches
 * it through its candidate route, which resolves the references at delivery (action-delivery.ts).
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { inTransaction } from './transaction.ts';
import { parseInput } from './validate.ts';
import { getDraft } from './pipeline/draft.ts';
import { renderPipeline } from './vector/render.ts';
import { agentStatusWhere } from './agent-status.ts';
import { queueActions, type CreatedActions } from './actions.ts';
import { Platform } from '../protocol/v1.ts';

/** Most agents one draft validation may ask. */
export const MAX_VALIDATION_SAMPLE = 20;

export const ValidateDraftInput = z.object({
  groupId: z.uuid(),
  sampleSize: z.number().int().min(1).max(MAX_VALIDATION_SAMPLE).default(3),
});

/**
 * Queue `validate_config` for the group's current draft on up to `sampleSize` sample agents (see
 * the module comment), tied by a bulk id, with the default action deadline; the actions skip an
 * agent that went offline meanwhile. Audited as `action.create` with the draft revision. Fails
 * with validation_failed (bad input, or no online agent runs a platform the draft renders for),
 * group_not_found or draft_not_found; nothing is written then.
 */
export async function validateDraft(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<CreatedActions> {
  const { groupId, sampleSize } = parseInput(ValidateDraftInput, input);
  const group = await ctx.db.group.findUnique({ where: { id: groupId }, select: { id: true } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
  const draft = await getDraft(ctx, groupId);
  if (!draft) throw new FleetError(FleetErrorCode.draftNotFound, 'the group has no draft to validate');
  const rendered = new Map<Platform, string>();
  for (const platform of Platform.options) {
    const r = renderPipeline(draft.document, platform);
    if (!r.empty) rendered.set(platform, r.yaml);
  }
  const now = ctx.clock();
  const agents = await ctx.db.agent.findMany({
    where: {
      groupId,
      revokedAt: null,
      platform: { in: [...rendered.keys()] },
      ...agentStatusWhere('online', now, ctx.tuning.current.offlineAfterMs),
    },
    orderBy: [{ hostname: 'asc' }, { id: 'asc' }],
    take: sampleSize,
    select: { id: true, platform: true, lastHeartbeatAt: true },
  });
  if (agents.length === 0)
    throw new FleetError(
      FleetErrorCode.validationFailed,
      'no online agent of the group runs a platform the draft has sources for',
      [{ path: 'groupId', message: 'no online sample agent' }],
    );
  const payloads = new Map<string, Prisma.InputJsonObject>(
    agents.map((a) => [
      a.id,
      {
        source: 'draft',
        groupId,
        revision: draft.revision,
        platform: a.platform,
        yaml: rendered.get(a.platform)!,
      },
    ]),
  );
  return inTransaction(ctx, (tx, emit) =>
    queueActions(tx, emit, actor, {
      type: 'validate_config',
      agents,
      payloads,
      bulk: true,
      offlinePolicy: 'skip',
      deadline: new Date(now.getTime() + ctx.tuning.current.actionDeadlineMs),
      now,
      offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      audit: { groupId, draftRevision: draft.revision },
    }),
  );
}
