/**
 * The publish dialog's rollout plan as a form: a plan (as the API answers it, defaults filled in)
 * into editable fields and back into the RolloutPlanInput the publish mutations take. Gate
 * thresholds are edited as percents (null: the gate is off); the last stage is always the whole
 * group (the server's rule). Pure.
 */
import type { RolloutNewAgents, RolloutPlanInput } from '../../../codegen/gql/graphql.ts';

/** How a change reaches the agents: every one now, or stage by stage with a plan. */
export type RolloutMode = 'all' | 'staged';
/** The two modes as the publish and bulk upgrade dialogs offer them. */
export const ROLLOUT_MODES: { label: string; value: RolloutMode }[] = [
  { label: 'All at once', value: 'all' },
  { label: 'Staged', value: 'staged' },
];
export type StageKind = 'count' | 'percent' | 'selector';
export interface StageDraft {
  kind: StageKind;
  /** Agents (count) or percent of the group, cumulative. */
  amount: number;
  /** `key=value` for a label selector. */
  selector: string;
}
export const GATE_KEYS = [
  'applyFailedRatio',
  'vectorStoppedRatio',
  'silentRatio',
  'componentErrorRate',
  'throughputDropRatio',
] as const;
export type GateKey = (typeof GATE_KEYS)[number];
export const GATE_FIELD_LABEL: Record<GateKey, string> = {
  applyFailedRatio: 'Failed to apply',
  vectorStoppedRatio: 'Vector stopped',
  silentRatio: 'Silent',
  componentErrorRate: 'Component errors',
  throughputDropRatio: 'Throughput drop',
};

export interface PlanDraft {
  /** The stages before the last one (which is always 100 %). */
  stages: StageDraft[];
  soakMinutes: number;
  maxInFlightKind: 'count' | 'percent';
  maxInFlight: number;
  /** Percent thresholds; null: the gate is off. */
  gates: Record<GateKey, number | null>;
  silentAfterHeartbeats: number;
  revertOnFailure: boolean;
  newAgents: RolloutNewAgents;
}

export interface PlanShape {
  stages: readonly {
    count?: number | null;
    percent?: number | null;
    selector?: { key: string; value: string } | null;
  }[];
  soakSeconds: number;
  maxInFlight: { count?: number | null; percent?: number | null };
  gates: { [K in GateKey]?: number | null } & { silentAfterHeartbeats: number };
  revertOnFailure: boolean;
  newAgents: RolloutNewAgents;
}

const pct = (ratio: number | null | undefined) =>
  ratio === null || ratio === undefined ? null : Math.round(ratio * 1000) / 10;

/** Whether a plan is "all at once" (one stage for the whole group). */
export function isAllAtOnce(plan: PlanShape): boolean {
  return plan.stages.length <= 1;
}

/** The form fields for `plan`; an all-at-once plan gets two suggested stages (one agent, then half). */
export function planDraft(plan: PlanShape): PlanDraft {
  const stages: StageDraft[] = plan.stages
    .slice(0, -1)
    .map((s) =>
      s.selector
        ? { kind: 'selector', amount: 0, selector: `${s.selector.key}=${s.selector.value}` }
        : s.count !== null && s.count !== undefined
          ? { kind: 'count', amount: s.count, selector: '' }
          : { kind: 'percent', amount: s.percent ?? 0, selector: '' },
    );
  return {
    stages: stages.length
      ? stages
      : [
          { kind: 'count', amount: 1, selector: '' },
          { kind: 'percent', amount: 50, selector: '' },
        ],
    soakMinutes: Math.round(plan.soakSeconds / 60) || (stages.length ? 0 : 5),
    maxInFlightKind:
      plan.maxInFlight.count !== null && plan.maxInFlight.count !== undefined ? 'count' : 'percent',
    maxInFlight: plan.maxInFlight.count ?? plan.maxInFlight.percent ?? 100,
    gates: Object.fromEntries(GATE_KEYS.map((k) => [k, pct(plan.gates[k])])) as Record<
      GateKey,
      number | null
    >,
    silentAfterHeartbeats: plan.gates.silentAfterHeartbeats,
    revertOnFailure: plan.revertOnFailure,
    newAgents: plan.newAgents,
  };
}

/** The RolloutPlanInput for the form's fields (the last stage added as 100 %). */
export function planInput(draft: PlanDraft): RolloutPlanInput {
  const stages = draft.stages.map((s) => {
    if (s.kind === 'count') return { count: s.amount };
    if (s.kind === 'percent') return { percent: s.amount };
    const eq = s.selector.indexOf('=');
    return {
      selector:
        eq > 0
          ? { key: s.selector.slice(0, eq).trim(), value: s.selector.slice(eq + 1).trim() }
          : { key: s.selector.trim(), value: '' },
    };
  });
  return {
    stages: [...stages, { percent: 100 }],
    soakSeconds: Math.round(draft.soakMinutes * 60),
    maxInFlight:
      draft.maxInFlightKind === 'count' ? { count: draft.maxInFlight } : { percent: draft.maxInFlight },
    gates: {
      ...Object.fromEntries(
        GATE_KEYS.map((k) => [k, draft.gates[k] === null ? null : Math.round(draft.gates[k]! * 10) / 1000]),
      ),
      silentAfterHeartbeats: draft.silentAfterHeartbeats,
    },
    revertOnFailure: draft.revertOnFailure,
    newAgents: draft.newAgents,
  };
}

/** The input for "all at once" (every field at its default), sent explicitly so a saved plan is not used. */
export const ALL_AT_ONCE_INPUT: RolloutPlanInput = {};
