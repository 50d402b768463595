/**
 * Enums shared by several domains. Values are the database's and REST's own spellings
 * (lower-case), so a value means the same thing on every interface.
 */
import { Platform as PlatformValues } from '../../protocol/v1.ts';
import { ActionOfflinePolicy as ActionOfflinePolicyValues } from '../../protocol/actions.ts';
import { COMPONENT_KINDS } from '../../fleet/vector/catalogue-types.ts';
import { builder } from '../builder.ts';
import { AGENT_STATUSES, CONFIG_STATUSES } from '../../fleet/agent-status.ts';
import { ACTION_STATUSES } from '../../fleet/action-states.ts';

export const Platform = builder.enumType('Platform', {
  description: 'Where an agent runs.',
  values: PlatformValues.options,
});

export const Role = builder.enumType('Role', {
  description:
    'viewer reads; editor changes the fleet; admin also manages users, API tokens and reads the audit log.',
  values: ['viewer', 'editor', 'admin'] as const,
});

export const OrderDirection = builder.enumType('OrderDirection', { values: ['asc', 'desc'] as const });

export const AgentStatus = builder.enumType('AgentStatus', {
  description:
    'online: last heartbeat at most fleetRules.offlineAfterSeconds old; offline: older; never_seen: none yet.',
  values: AGENT_STATUSES,
});

export const ConfigStatus = builder.enumType('ConfigStatus', {
  description:
    "Against the agent's desired version (its rollout pin, else its group's version). failed: reports a config error for it; drifted: its config file differs from the version it applied; up_to_date: runs it; updating: online and not running it yet (rolling out); behind: offline or never seen and not running it.",
  values: CONFIG_STATUSES,
});

export const ActionStatus = builder.enumType('ActionStatus', {
  description:
    'pending: queued, handed over with the next heartbeat; delivered: a heartbeat answer carried it (the agent has it and may be running it; carried again until the agent reports; no longer cancellable); waiting: the agent is offline, delivered once it is back before the deadline; running; done | failed: what the agent reported; cancelled; expired: past the deadline; skipped: the agent was offline when the action was created and its offline policy said skip.',
  values: ACTION_STATUSES,
});

export const ActionOfflinePolicy = builder.enumType('ActionOfflinePolicy', {
  description: 'For an agent offline when the action is created: deliver (wait for it) or skip.',
  values: ActionOfflinePolicyValues.options,
});

export const ComponentKind = builder.enumType('ComponentKind', {
  description: 'source: reads events; transform: changes, filters or routes them; sink: sends them out.',
  values: COMPONENT_KINDS,
});
