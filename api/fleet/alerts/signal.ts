/**
 * The shape of an alert signal (signals.ts lists them): what a kind's threshold means, and how it
 * finds the subjects breaching it.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import type { FleetContext } from '../context.ts';

/** One subject over a rule's threshold: `subject` is stable across rounds (the agent id, …). */
export interface Breach {
  subject: string;
  agentId: string | null;
  /** The observed value in the threshold's unit, when the kind has one. */
  value: number | null;
  summary: string;
}

/** A threshold's meaning and bounds (inclusive). */
export interface ThresholdSpec {
  unit: string;
  description: string;
  min: number;
  max: number;
}

export interface AlertSignal {
  description: string;
  /** null: the kind takes no threshold (a rule must not set one). */
  threshold: ThresholdSpec | null;
  /**
   * The subjects breaching as of `now` among the agents matching `agents`, at most `limit` of them.
   * Rejects only on database errors.
   */
  breaches(
    ctx: FleetContext,
    agents: Prisma.AgentWhereInput,
    threshold: number | null,
    now: Date,
    limit: number,
  ): Promise<Breach[]>;
}
