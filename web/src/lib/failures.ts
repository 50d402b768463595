/**
 * Where failing agents are listed: the failures page (reasons, fleet-wide or for one group), the
 * agents list filtered to the failing agents, and a rollout's own agent table filtered to those that
 * failed it: every "N failed" figure links to one of them.
 */
import { agentsLink } from './agent-filter.ts';
import { queryTerm } from './agent-query.ts';

/** The agents list showing the failing agents (their config), of group `groupSlug` when given. */
export function failingAgentsLink(groupSlug?: string | null) {
  const failed = queryTerm('configStatus', 'failed');
  return agentsLink(groupSlug ? `${queryTerm('group', groupSlug)} ${failed}` : failed);
}

/** The failures page, for one group when `groupId` is given. */
export function failuresLink(groupId?: string | null): { path: string; query: Record<string, string> } {
  return { path: '/failures', query: groupId ? { group: groupId } : {} };
}

/** A rollout's page with its agent table showing the agents that failed it in `stage` (0-based). */
export function rolloutFailedLink(rolloutId: string, stage: number) {
  return { path: `/rollouts/${rolloutId}`, query: { stage: String(stage + 1), agents: 'failed' } };
}

/** The first stage (0-based) with a failed agent, or 0. */
export function firstFailedStage(stages: readonly { failed: number }[]): number {
  return Math.max(
    0,
    stages.findIndex((s) => s.failed > 0),
  );
}
