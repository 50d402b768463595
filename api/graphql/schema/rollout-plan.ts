/**
 * The rollout plan as GraphQL: the RolloutPlan type (as stored, defaults filled in) and the
 * RolloutPlanInput publishing mutations, setGroupRolloutPlan and rolloutPreview take. The rules
 * (limits, defaults, the last stage being 100 %) are api/fleet/rollout/plan.ts's; this file only
 * maps shapes.
 */
import { builder } from '../builder.ts';
import {
  NEW_AGENTS,
  type RolloutGates,
  type RolloutPlan,
  type RolloutStage,
} from '../../fleet/rollout/plan.ts';

export const RolloutNewAgents = builder.enumType('RolloutNewAgents', {
  description:
    'Agents that enrol or move into the group during a rollout get the previous version (the baseline) or the new one.',
  values: NEW_AGENTS,
});

const LabelSelector = builder
  .objectRef<{ key: string; value: string }>('LabelSelector')
  .implement({ fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }) });

const RolloutPlanStage = builder.objectRef<RolloutStage>('RolloutPlanStage').implement({
  description:
    'One stage: exactly one of count, percent (of the group at start) or selector. Counts and percents are cumulative: how many agents have the version once the stage is done.',
  fields: (t) => ({
    count: t.exposeInt('count', { nullable: true }),
    percent: t.exposeFloat('percent', { nullable: true }),
    selector: t.field({ type: LabelSelector, nullable: true, resolve: (s) => s.selector ?? null }),
    soakSeconds: t.exposeInt('soakSeconds', {
      nullable: true,
      description: 'Overrides the plan’s soakSeconds.',
    }),
  }),
});

const MaxInFlight = builder.objectRef<RolloutPlan['maxInFlight']>('RolloutMaxInFlight').implement({
  description: 'Agents reached but not yet applied or failed, at most: a count or a percent of the stage.',
  fields: (t) => ({
    count: t.exposeInt('count', { nullable: true }),
    percent: t.exposeFloat('percent', { nullable: true }),
  }),
});

const GATE_FIELDS = [
  'applyFailedRatio',
  'vectorStoppedRatio',
  'silentRatio',
  'componentErrorRate',
  'throughputDropRatio',
] as const;

const RolloutGateThresholds = builder.objectRef<RolloutGates>('RolloutGateThresholds').implement({
  description: 'A gate breaches when its value (a share, 0–1) is above its threshold; null: the gate is off.',
  fields: (t) => ({
    ...Object.fromEntries(GATE_FIELDS.map((f) => [f, t.exposeFloat(f, { nullable: true })])),
    silentAfterHeartbeats: t.exposeInt('silentAfterHeartbeats', {
      description: 'An agent is silent after this many heartbeat intervals without one.',
    }),
  }),
});

export const RolloutPlanRef = builder.objectRef<RolloutPlan>('RolloutPlan').implement({
  description: 'How a version reaches a group: stages, soak, max in flight, gates, revert policy.',
  fields: (t) => ({
    stages: t.field({ type: [RolloutPlanStage], resolve: (p) => p.stages }),
    soakSeconds: t.exposeInt('soakSeconds', { description: 'How long each stage is watched once reached.' }),
    maxInFlight: t.field({ type: MaxInFlight, resolve: (p) => p.maxInFlight }),
    gates: t.field({ type: RolloutGateThresholds, resolve: (p) => p.gates }),
    revertOnFailure: t.exposeBoolean('revertOnFailure', {
      description: 'On a gate breach, pin the reached agents back to the previous version.',
    }),
    newAgents: t.field({ type: RolloutNewAgents, resolve: (p) => p.newAgents }),
  }),
});

const LabelSelectorInput = builder.inputType('LabelSelectorInput', {
  fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }) }),
});

const RolloutStageInput = builder.inputType('RolloutStageInput', {
  description:
    'Exactly one of count, percent or selector. The last stage of a plan must be { percent: 100 }.',
  fields: (t) => ({
    count: t.int(),
    percent: t.float(),
    selector: t.field({ type: LabelSelectorInput }),
    soakSeconds: t.int(),
  }),
});

const MaxInFlightInput = builder.inputType('RolloutMaxInFlightInput', {
  fields: (t) => ({ count: t.int(), percent: t.float() }),
});

const RolloutGatesInput = builder.inputType('RolloutGatesInput', {
  description: 'Thresholds (shares, 0–1); left out: the default; null: the gate is off.',
  fields: (t) => ({
    ...Object.fromEntries(GATE_FIELDS.map((f) => [f, t.float()])),
    silentAfterHeartbeats: t.int(),
  }),
});

export const RolloutPlanInput = builder.inputType('RolloutPlanInput', {
  description:
    'A rollout plan; every field left out takes its default ("all at once": one 100 % stage, no soak).',
  fields: (t) => ({
    stages: t.field({ type: [RolloutStageInput] }),
    soakSeconds: t.int(),
    maxInFlight: t.field({ type: MaxInFlightInput }),
    gates: t.field({ type: RolloutGatesInput }),
    revertOnFailure: t.boolean(),
    newAgents: t.field({ type: RolloutNewAgents }),
  }),
});

/**
 * A RolloutPlanInput as the fleet parses it: nulls dropped (the field takes its default), except
 * gate thresholds, where null turns the gate off. Pure.
 */
export function planInput(input: unknown, keepNulls = false): unknown {
  if (Array.isArray(input)) return input.map((v) => planInput(v));
  if (typeof input !== 'object' || input === null) return input;
  return Object.fromEntries(
    Object.entries(input)
      .filter(([, v]) => v !== undefined && (v !== null || keepNulls))
      .map(([k, v]) => [k, planInput(v, k === 'gates')]),
  );
}
