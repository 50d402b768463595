/**
 * THE fleet settings' rules, written once: which settings exist, their bounds and units, their
 * built-in defaults, and how the settings in effect follow from what is stored. A leaf (it imports
 * only the protocol), so api/config.ts takes the bounds of the FLOTILLA_* variables that give the
 * defaults from here too. The agent intervals' bounds live in the protocol (api/protocol/v1.ts),
 * which the agent and the simulator import; this file refers to them, it does not copy them.
 *
 * A setting that is not stored (null) takes its default: the FLOTILLA_* environment value where one
 * exists (action deadline, retention), else the built-in one (offline threshold). The agent
 * intervals have no default: unset, nothing is advertised and each agent keeps its own settings.
 */
import {
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  HEARTBEAT_INTERVAL_BOUNDS_SECONDS,
  POLL_INTERVAL_BOUNDS_SECONDS,
} from '../protocol/v1.ts';

/** An agent is offline once its last heartbeat is older than this, unless the settings say otherwise. */
export const DEFAULT_OFFLINE_AFTER_SECONDS = 300;
/** The offline threshold must be at least this many heartbeat intervals (jitter, one lost heartbeat). */
export const MIN_HEARTBEATS_BEFORE_OFFLINE = 2;

export const SETTING_UNITS = ['seconds', 'days'] as const;

export interface SettingRule {
  min: number;
  max: number;
  unit: (typeof SETTING_UNITS)[number];
}

/** Every setting with its bounds and unit; the GraphQL field and the column carry the same name. */
export const SETTING_RULES = {
  heartbeatIntervalSeconds: { ...HEARTBEAT_INTERVAL_BOUNDS_SECONDS, unit: 'seconds' },
  pollIntervalSeconds: { ...POLL_INTERVAL_BOUNDS_SECONDS, unit: 'seconds' },
  offlineAfterSeconds: { min: 30, max: 86_400, unit: 'seconds' },
  actionDeadlineSeconds: { min: 60, max: 30 * 86_400, unit: 'seconds' },
  retainActionsDays: { min: 1, max: 36_500, unit: 'days' },
  retainAuditDays: { min: 1, max: 36_500, unit: 'days' },
  retainRevokedAgentsDays: { min: 1, max: 36_500, unit: 'days' },
  retainDiagnosticsDays: { min: 1, max: 36_500, unit: 'days' },
} as const satisfies Record<string, SettingRule>;

export type SettingKey = keyof typeof SETTING_RULES;
export const SETTING_KEYS = Object.keys(SETTING_RULES) as SettingKey[];

/** A value per setting; null: not stored. */
export type SettingValues = Record<SettingKey, number | null>;

/** The settings advertised to agents, which have no default (unset: agents keep their own). */
export type AgentIntervalKey = 'heartbeatIntervalSeconds' | 'pollIntervalSeconds';
/** The settings that always have a value: stored, else the default. */
export type DefaultedKey = Exclude<SettingKey, AgentIntervalKey>;
export type SettingDefaults = Record<DefaultedKey, number> & Record<AgentIntervalKey, null>;

/** How many days each kind of row is kept; api/fleet/retention.ts prunes the rest. */
export interface RetentionPolicy {
  actionsDays: number;
  auditDays: number;
  revokedAgentsDays: number;
  /** Diagnostics bundles (api/fleet/diagnostics.ts). */
  diagnosticsDays: number;
}

/** The settings as stored, with their defaults and who changed them last. */
export interface SettingsSnapshot {
  stored: SettingValues;
  defaults: SettingDefaults;
  /** Grows with every change; 0: never changed. */
  revision: number;
  updatedAt: Date | null;
  updatedBy: string;
}

/** The settings in effect, in the units their users need. */
export interface FleetTuning {
  /** Advertised to agents in heartbeat answers; null: not advertised (agents keep their own). */
  heartbeatIntervalSeconds: number | null;
  pollIntervalSeconds: number | null;
  /** The liveness threshold of agent-status.ts. */
  offlineAfterMs: number;
  /** How long a new action may wait for its agent before it expires. */
  actionDeadlineMs: number;
  retention: RetentionPolicy;
}

/** The defaults from the environment (FLOTILLA_ACTION_TTL_SECONDS, FLOTILLA_RETAIN_*). */
export function settingDefaults(env: { actionTtlMs: number; retention: RetentionPolicy }): SettingDefaults {
  return {
    heartbeatIntervalSeconds: null,
    pollIntervalSeconds: null,
    offlineAfterSeconds: DEFAULT_OFFLINE_AFTER_SECONDS,
    actionDeadlineSeconds: Math.round(env.actionTtlMs / 1000),
    retainActionsDays: env.retention.actionsDays,
    retainAuditDays: env.retention.auditDays,
    retainRevokedAgentsDays: env.retention.revokedAgentsDays,
    retainDiagnosticsDays: env.retention.diagnosticsDays,
  };
}

/** The value in effect of one setting: stored, else its default (null: an agent interval left unset). */
export function settingValue(snapshot: SettingsSnapshot, key: SettingKey): number | null {
  return snapshot.stored[key] ?? snapshot.defaults[key];
}

/** The settings in effect of `snapshot`. Pure. */
export function tuningOf(snapshot: SettingsSnapshot): FleetTuning {
  const value = (key: DefaultedKey) => snapshot.stored[key] ?? snapshot.defaults[key];
  return {
    heartbeatIntervalSeconds: settingValue(snapshot, 'heartbeatIntervalSeconds'),
    pollIntervalSeconds: settingValue(snapshot, 'pollIntervalSeconds'),
    offlineAfterMs: value('offlineAfterSeconds') * 1000,
    actionDeadlineMs: value('actionDeadlineSeconds') * 1000,
    retention: {
      actionsDays: value('retainActionsDays'),
      auditDays: value('retainAuditDays'),
      revokedAgentsDays: value('retainRevokedAgentsDays'),
      diagnosticsDays: value('retainDiagnosticsDays'),
    },
  };
}

/**
 * The rule across settings: the offline threshold must be at least MIN_HEARTBEATS_BEFORE_OFFLINE
 * heartbeat intervals (the advertised one, else the agents' default). Null when `snapshot` keeps it.
 */
export function offlineThresholdProblem(snapshot: SettingsSnapshot): string | null {
  const heartbeat = settingValue(snapshot, 'heartbeatIntervalSeconds') ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
  const offline = snapshot.stored.offlineAfterSeconds ?? snapshot.defaults.offlineAfterSeconds;
  const least = MIN_HEARTBEATS_BEFORE_OFFLINE * heartbeat;
  if (offline >= least) return null;
  return `must be at least ${MIN_HEARTBEATS_BEFORE_OFFLINE} heartbeat intervals (${least} s with a ${heartbeat} s heartbeat), or agents flap offline`;
}
