/**
 * Rollouts in words for the dashboard: state labels and severities, how a plan stage reads, gate
 * names and values, where a rollout's failing agents are listed (the agents list, filtered), and
 * the operator's controls (which states each applies in, its confirmation).
 */
import type { Severity } from './status.ts';

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

/** The operator's controls of a rollout. */
export type RolloutControl = 'pause' | 'resume' | 'promote' | 'abort' | 'retry';
/** Each control: its button, the states it applies in, and its confirmation and outcome in words. */
export const ROLLOUT_CONTROLS: Record<
  RolloutControl,
  {
    label: string;
    icon: string;
    states: string[];
    danger?: boolean;
    header: string;
    message: string;
    done: string;
  }
> = {
  pause: {
    label: 'Pause',
    icon: 'pi pi-pause',
    states: ['pending', 'running', 'soaking'],
    header: 'Pause this rollout?',
    message: 'No new agents get the version until you resume. The gates are still judged.',
    done: 'Rollout paused',
  },
  resume: {
    label: 'Resume',
    icon: 'pi pi-play',
    states: ['paused'],
    header: 'Resume this rollout?',
    message: 'The current stage carries on reaching agents and soaks again once reached.',
    done: 'Rollout resumed',
  },
  promote: {
    label: 'Promote now',
    icon: 'pi pi-forward',
    states: ['running', 'soaking'],
    header: 'Promote to the next stage now?',
    message: 'The rest of this stage and its soak are skipped: the next stage starts reaching agents now.',
    done: 'Promoted to the next stage',
  },
  retry: {
    label: 'Retry failed',
    icon: 'pi pi-replay',
    states: ['halted', 'reverted'],
    header: 'Retry this rollout?',
    message:
      'Every agent it reached (failed or reverted) gets the version again, and the stage is judged afresh; an agent still failing halts it again.',
    done: 'Rollout retried',
  },
  abort: {
    label: 'Abort and revert',
    icon: 'pi pi-times-circle',
    states: ['pending', 'running', 'soaking', 'paused', 'halted'],
    danger: true,
    header: 'Abort this rollout?',
    message: 'It stops, and every agent it reached gets the previous version back. This cannot be undone.',
    done: 'Rollout aborted: the reached agents get the previous version back',
  },
};
