/**
 * Rollouts in words for the dashboard: state labels and severities, how a plan stage reads, gate
 * names and values, and where a rollout's failing agents are listed (the agents list, filtered).
 */
import type { Severity } from './status.ts';
import { agentsLink } from './agent-filter.ts';
import { queryTerm } from './agent-query.ts';

export const ROLLOUT_STATE_LABEL: Record<string, string> = {
  pending: 'Pending',
  running: 'Running',
  soaking: 'Soaking',
  paused: 'Paused',
  halted: 'Halted',
  reverted: 'Reverted',
  cancelled: 'Cancelled',
  superseded: 'Superseded',
  done: 'Done',
};

export const ROLLOUT_STATE_SEVERITY: Record<string, Severity> = {
  pending: 'secondary',
  running: 'info',
  soaking: 'info',
  paused: 'warn',
  halted: 'danger',
  reverted: 'danger',
  cancelled: 'secondary',
  superseded: 'secondary',
  done: 'success',
};

export const AGENT_STATE_LABEL: Record<string, string> = {
  waiting: 'Waiting',
  offline: 'Offline (gets it when done)',
  in_flight: 'Sent',
  delivered: 'Delivered',
  applied: 'Applied',
  failed: 'Failed',
  stopped: 'Vector stopped',
  silent: 'Silent',
  reverted: 'Reverted',
};

export const AGENT_STATE_SEVERITY: Record<string, Severity> = {
  waiting: 'secondary',
  offline: 'secondary',
  in_flight: 'info',
  delivered: 'info',
  applied: 'success',
  failed: 'danger',
  stopped: 'danger',
  silent: 'warn',
  reverted: 'warn',
};

const GATE_LABEL: Record<string, string> = {
  apply_failed: 'Failed to apply',
  vector_stopped: 'Vector stopped',
  silent: 'Silent',
  component_error_rate: 'Component error rate',
  throughput_drop: 'Throughput drop',
};

/** A gate signal's name for people. */
export function gateLabel(signal: string): string {
  return GATE_LABEL[signal] ?? signal;
}

/** A share (0–1) as a percent with at most one decimal; "—" for null. */
export function sharePercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return `${Math.round(value * 1000) / 10} %`;
}

/** How one plan stage reads: "2 agents", "50 %", "canary=true". */
export function stageTarget(stage: {
  count?: number | null;
  percent?: number | null;
  selector?: { key: string; value: string } | null;
}): string {
  if (stage.selector) return `${stage.selector.key}=${stage.selector.value}`;
  if (stage.count !== null && stage.count !== undefined)
    return `${stage.count} agent${stage.count === 1 ? '' : 's'}`;
  if (stage.percent !== null && stage.percent !== undefined) return `${stage.percent} %`;
  return 'all';
}

/** States in which the rollout's agents still change (the controls that apply then). */
export const ACTIVE_STATES = ['pending', 'running', 'soaking', 'paused', 'halted', 'reverted'];

/** The agents list showing the group's agents failing their config. */
export function failingAgentsLink(groupSlug: string) {
  return agentsLink(`${queryTerm('group', groupSlug)} ${queryTerm('configStatus', 'failed')}`);
}
