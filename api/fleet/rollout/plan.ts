/**
 * THE rollout plan: its schema, limits and defaults, written once. A plan says which agents get a
 * new version when (stages: a count, a percentage of the group or a label selector, each the
 * cumulative share reached once the stage is done; the last stage is everyone), how long each
 * stage soaks, how many agents may be in flight at once, the gate thresholds that halt it and
 * whether a halt reverts. "All at once" is the default plan: one 100 % stage, no soak.
 */
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.ts';
import { validationError } from '../errors.ts';

/** Most stages a plan may have. */
export const MAX_STAGES = 10;
/** Longest soak of a stage (seven days). */
export const MAX_SOAK_SECONDS = 7 * 24 * 3600;
/** Largest stage count or max in flight count. */
export const MAX_STAGE_COUNT = 1_000_000;
/** Most heartbeat intervals an agent may miss before the silent gate counts it. */
export const MAX_SILENT_AFTER_HEARTBEATS = 100;
/** Longest label key or value a selector names (as agent labels allow). */
export const MAX_SELECTOR_LENGTH = 128;

const Ratio = z.number().min(0).max(1);
const Selector = z.object({
  key: z.string().trim().min(1).max(MAX_SELECTOR_LENGTH),
  value: z.string().max(MAX_SELECTOR_LENGTH),
});

/** One stage: exactly one of count, percent (of the group at start) or selector, and an optional soak. */
export const RolloutStage = z
  .object({
    count: z.int().min(1).max(MAX_STAGE_COUNT).optional(),
    percent: z.number().gt(0).max(100).optional(),
    selector: Selector.optional(),
    soakSeconds: z.int().min(0).max(MAX_SOAK_SECONDS).optional(),
  })
  .strict()
  .refine(
    (s) => [s.count, s.percent, s.selector].filter((v) => v !== undefined).length === 1,
    'give exactly one of count, percent or selector',
  );
export type RolloutStage = z.infer<typeof RolloutStage>;

/** How many agents may have the version delivered but not yet applied (or failed): a count or a percent of the stage. */
export const MaxInFlight = z
  .object({
    count: z.int().min(1).max(MAX_STAGE_COUNT).optional(),
    percent: z.number().gt(0).max(100).optional(),
  })
  .strict()
  .refine((m) => (m.count === undefined) !== (m.percent === undefined), 'give either count or percent');

/** Gate thresholds: a gate breaches when its value is above its threshold; null turns a gate off. */
export const RolloutGates = z
  .object({
    /** Share of the stage's reached agents reporting an error applying the version. */
    applyFailedRatio: Ratio.nullable().default(0.05),
    /** Share whose Vector stopped running after the version reached them. */
    vectorStoppedRatio: Ratio.nullable().default(0.05),
    /** Share that sent no heartbeat for silentAfterHeartbeats heartbeat intervals. */
    silentRatio: Ratio.nullable().default(0.1),
    silentAfterHeartbeats: z.int().min(1).max(MAX_SILENT_AFTER_HEARTBEATS).default(3),
    /** Telemetry: component errors per event in, over the reached agents' latest samples. */
    componentErrorRate: Ratio.nullable().default(0.05),
    /** Telemetry: how far events out per second fell against before the version reached them. */
    throughputDropRatio: Ratio.nullable().default(0.5),
  })
  .strict();
export type RolloutGates = z.infer<typeof RolloutGates>;

export const NEW_AGENTS = ['previous', 'new'] as const;

/** A rollout plan as stored in Rollout.plan and Group.rolloutPlan (defaults filled in). */
export const RolloutPlan = z
  .object({
    stages: z
      .array(RolloutStage)
      .min(1)
      .max(MAX_STAGES)
      .default([{ percent: 100 }]),
    soakSeconds: z.int().min(0).max(MAX_SOAK_SECONDS).default(0),
    maxInFlight: MaxInFlight.default({ percent: 100 }),
    gates: RolloutGates.default(RolloutGates.parse({})),
    revertOnFailure: z.boolean().default(true),
    /** Agents enrolling or moving in during the rollout: the baseline (previous) or the new version. */
    newAgents: z.enum(NEW_AGENTS).default('previous'),
  })
  .strict()
  .superRefine((plan, ctx) => {
    const last = plan.stages.at(-1);
    if (last && last.percent !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', plan.stages.length - 1],
        message: 'the last stage must be { percent: 100 }: a rollout ends with every agent',
      });
    }
  });
export type RolloutPlan = z.infer<typeof RolloutPlan>;

/** The plan of a publish that names none and whose group saved none. */
export const ALL_AT_ONCE: RolloutPlan = RolloutPlan.parse({});

/**
 * Parse a plan from user input; `field` prefixes the issue paths (`plan.stages.0.percent`).
 * Throws FleetError(validation_failed) naming each bad field.
 */
export function parsePlan(value: unknown, field = 'plan'): RolloutPlan {
  const result = RolloutPlan.safeParse(value ?? {});
  if (result.success) return result.data;
  throw validationError(
    result.error.issues.map((issue) => ({
      path: [field, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

/** A plan read back from the database (Rollout.plan, Group.rolloutPlan); null/undefined → ALL_AT_ONCE. */
export function storedPlan(value: Prisma.JsonValue | null | undefined): RolloutPlan {
  return value === null || value === undefined ? ALL_AT_ONCE : RolloutPlan.parse(value);
}

/**
 * True when `plan` reaches every agent at once with nothing to wait for: publishing with it moves
 * the baseline at once (today's behaviour) instead of running a staged rollout.
 */
export function isAllAtOnce(plan: RolloutPlan): boolean {
  const [only] = plan.stages;
  return (
    plan.stages.length === 1 &&
    only.percent === 100 &&
    (only.soakSeconds ?? plan.soakSeconds) === 0 &&
    plan.maxInFlight.percent === 100
  );
}

/** The soak of stage `index` of `plan` in seconds. */
export function stageSoakSeconds(plan: RolloutPlan, index: number): number {
  return plan.stages[index]?.soakSeconds ?? plan.soakSeconds;
}

/** How many agents may be in flight in a stage of `stageSize` agents (at least one). */
export function maxInFlightOf(plan: RolloutPlan, stageSize: number): number {
  const { count, percent } = plan.maxInFlight;
  if (count !== undefined) return count;
  return Math.max(1, Math.ceil(((percent ?? 100) * stageSize) / 100));
}
