/**
 * Rollout gates: a registry of signals, each judging the current stage's reached agents against a
 * threshold of the plan. A gate breaches when its value is above its threshold; a gate whose
 * threshold is null is off, and a signal with nothing to judge (no agent reached yet, no telemetry
 * reported) is skipped, never breached. New signals plug in by adding an entry to GATE_SIGNALS.
 * Every value is one SQL aggregate over rollout_agents ⋈ agents (or telemetry), never a query per
 * agent.
 */
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { Tx } from '../context.ts';
import { BUCKET_MS } from '../telemetry/rates.ts';
import { onlineSince } from '../agent-status.ts';
import type { RolloutGates, RolloutPlan } from './plan.ts';
import type { RolloutReach } from './reach.ts';
import { STOPPED_SQL, silentSql, type StageProgress } from './progress.ts';
import { inScope } from './scope.ts';

/** What a signal judges: the rollout, its plan and kind, the current stage's counts, the time. */
export interface GateInput {
  db: Pick<Tx, '$queryRaw'>;
  rollout: Rollout;
  plan: RolloutPlan;
  reach: RolloutReach;
  stage: StageProgress;
  now: Date;
  /** The offline threshold in effect (fleet settings). */
  offlineAfterMs: number;
}

export interface GateSignal {
  id: string;
  /** The plan's threshold for this signal (null: the gate is off). */
  threshold: keyof RolloutGates;
  /** The value for the current stage, or null when there is nothing to judge. */
  evaluate(input: GateInput): Promise<number | null>;
  /** Hostnames of the agents making the value (at most `limit`), for the halt reason. */
  offenders(input: GateInput, limit: number): Promise<string[]>;
}

/** The verdict of one gate, stored in Rollout.gates for the dashboard. */
export interface GateVerdict {
  signal: string;
  value: number | null;
  threshold: number | null;
  ok: boolean;
}

/** How many agents a halt reason names per gate. */
export const REASON_AGENTS = 5;

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

async function hostnamesWhere(input: GateInput, condition: Prisma.Sql, limit: number): Promise<string[]> {
  const rows = await input.db.$queryRaw<{ hostname: string }[]>`
    SELECT a.hostname FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
    WHERE ra.rollout_id = ${input.rollout.id}::uuid AND ra.stage = ${input.rollout.stage}
      AND ra.assigned_at IS NOT NULL AND a.revoked_at IS NULL AND ${inScope(input.rollout)}
      AND ${condition}
    ORDER BY a.hostname_sort_key, a.id LIMIT ${limit}`;
  return rows.map((r) => r.hostname);
}

/** A signal that is a share of the reached agents, counted by stageProgress. */
function agentShare(
  id: string,
  threshold: keyof RolloutGates,
  count: (s: StageProgress) => number,
  condition: (input: GateInput) => Prisma.Sql,
): GateSignal {
  return {
    id,
    threshold,
    evaluate: async (input) => ratio(count(input.stage), input.stage.reached),
    offenders: (input, limit) => hostnamesWhere(input, condition(input), limit),
  };
}

/** Latest samples of the stage's reached agents taken after the stage reached them, and live. */
const samplesAfter = (input: GateInput) => Prisma.sql`
  FROM rollout_agents ra JOIN telemetry_latest t ON t.agent_id = ra.agent_id JOIN agents a ON a.id = ra.agent_id
  WHERE ra.rollout_id = ${input.rollout.id}::uuid AND ra.stage = ${input.rollout.stage}
    AND ra.assigned_at IS NOT NULL AND a.revoked_at IS NULL AND ${inScope(input.rollout)}
    AND t.sampled_at > ra.assigned_at AND t.sampled_at >= ${onlineSince(input.now, input.offlineAfterMs)}`;

const componentErrorRate: GateSignal = {
  id: 'component_error_rate',
  threshold: 'componentErrorRate',
  async evaluate(input) {
    const [row] = await input.db.$queryRaw<{ errors: number | null; events: number | null; n: bigint }[]>`
      SELECT sum(t.errors_rate)::float8 AS errors, sum(t.events_in_rate)::float8 AS events, count(*) AS n
      ${samplesAfter(input)} AND t.errors_rate IS NOT NULL AND t.events_in_rate IS NOT NULL`;
    if (!row || Number(row.n) === 0) return null;
    const errors = row.errors ?? 0;
    const events = row.events ?? 0;
    return events > 0 ? Math.min(1, errors / events) : errors > 0 ? 1 : 0;
  },
  async offenders(input, limit) {
    const rows = await input.db.$queryRaw<{ hostname: string }[]>`
      SELECT a.hostname ${samplesAfter(input)} AND t.errors_rate > 0
      ORDER BY t.errors_rate DESC, a.id LIMIT ${limit}`;
    return rows.map((r) => r.hostname);
  },
};

/**
 * Events out per second after the stage reached an agent against its average over the hour of
 * closed 5-minute buckets before; agents without both are left out.
 */
const throughputPairs = (input: GateInput) => Prisma.sql`
  WITH after AS (
    SELECT ra.agent_id, a.hostname, ra.assigned_at, t.events_out_rate AS rate
    ${samplesAfter(input)} AND t.events_out_rate IS NOT NULL
  ), before AS (
    SELECT b.agent_id, sum(b.events_out)::float8 / (count(*) * ${BUCKET_MS / 1000}) AS rate
    FROM telemetry_agent_buckets b JOIN after ON after.agent_id = b.agent_id
    WHERE b.bucket >= after.assigned_at - interval '1 hour'
      AND b.bucket + ${`${BUCKET_MS} milliseconds`}::interval <= after.assigned_at
    GROUP BY b.agent_id
  )
  SELECT after.hostname, after.rate AS after_rate, before.rate AS before_rate
  FROM after JOIN before ON before.agent_id = after.agent_id WHERE before.rate > 0`;

const throughputDrop: GateSignal = {
  id: 'throughput_drop',
  threshold: 'throughputDropRatio',
  async evaluate(input) {
    const [row] = await input.db.$queryRaw<{ after: number | null; before: number | null }[]>`
      SELECT sum(p.after_rate)::float8 AS after, sum(p.before_rate)::float8 AS before
      FROM (${throughputPairs(input)}) p`;
    if (!row?.before) return null;
    return Math.max(0, 1 - (row.after ?? 0) / row.before);
  },
  async offenders(input, limit) {
    const rows = await input.db.$queryRaw<{ hostname: string }[]>`
      SELECT p.hostname FROM (${throughputPairs(input)}) p WHERE p.after_rate < p.before_rate
      ORDER BY p.after_rate / p.before_rate, p.hostname LIMIT ${limit}`;
    return rows.map((r) => r.hostname);
  },
};

/** Every gate signal, in the order the dashboard shows them. */
export const GATE_SIGNALS: readonly GateSignal[] = [
  agentShare(
    'apply_failed',
    'applyFailedRatio',
    (s) => s.failed,
    (i) => i.reach.failed(i.rollout),
  ),
  agentShare(
    'vector_stopped',
    'vectorStoppedRatio',
    (s) => s.stopped,
    () => STOPPED_SQL,
  ),
  agentShare(
    'silent',
    'silentRatio',
    (s) => s.silent,
    (i) => silentSql(i.plan, i.now),
  ),
  componentErrorRate,
  throughputDrop,
];

/** A breached gate and the agents that made it. */
export interface GateBreach {
  verdict: GateVerdict;
  agents: string[];
}

/**
 * Judge the current stage of `input.rollout` with every gate. Returns each gate's verdict and the
 * first breach (with up to REASON_AGENTS hostnames), or null. Rejects only on database errors.
 */
export async function evaluateGates(
  input: GateInput,
): Promise<{ verdicts: GateVerdict[]; breach: GateBreach | null }> {
  const verdicts: GateVerdict[] = [];
  let breach: GateBreach | null = null;
  for (const signal of GATE_SIGNALS) {
    const threshold = input.plan.gates[signal.threshold] as number | null;
    const value = threshold === null ? null : await signal.evaluate(input);
    const ok = value === null || threshold === null || value <= threshold;
    const verdict = { signal: signal.id, value, threshold, ok };
    verdicts.push(verdict);
    if (!ok && !breach) breach = { verdict, agents: await signal.offenders(input, REASON_AGENTS) };
  }
  return { verdicts, breach };
}

/** The halt reason for `breach`: which gate, its value against its threshold, which agents. */
export function breachReason(breach: GateBreach, stageIndex: number): string {
  const { signal, value, threshold } = breach.verdict;
  const pct = (n: number | null) => `${Math.round((n ?? 0) * 1000) / 10} %`;
  const agents = breach.agents.length > 0 ? `: ${breach.agents.join(', ')}` : '';
  return `gate ${signal} breached in stage ${stageIndex + 1}: ${pct(value)} > ${pct(threshold)}${agents}`;
}
