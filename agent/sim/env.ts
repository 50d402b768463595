/**
 * What the virtual agents of one shard share (AgentEnv) and how they report to it (AgentEvents).
 * A module of its own so virtual-agent.ts and actions.ts both import it without importing each other.
 */
import type { Clock } from '../clock.ts';
import type { Tuning } from './options.ts';

/** What a virtual agent reports to its shard. */
export interface AgentEvents {
  enrolled(ok: boolean): void;
  heartbeat(ok: boolean): void;
  /** Agent `index` was answered a 200 with `version`. */
  received(index: number, version: number, at: number): void;
  /** `update`: the agent had a config before (not its first); `failed`: validation failed. */
  applied(version: number, at: number, update: boolean, failed: boolean): void;
  /** The server acknowledged a heartbeat reporting `version` applied, as an update (the server saw it). */
  reported(version: number, at: number): void;
  action(event: 'received' | 'redelivered' | 'done' | 'failed'): void;
  result(event: 'created' | 'acknowledged' | 'duplicated' | 'rejected'): void;
  revoked(): void;
}

/** Everything the agents of one shard share. */
export interface AgentEnv {
  serverUrl: string;
  tokens: string[];
  hostPrefix: string;
  agentVersion: string;
  vectorVersion: string;
  download: boolean;
  telemetry: boolean;
  tuning: Tuning;
  clock: Clock;
  random: () => number;
  /** Aborts when the run ends: waits stop, in-flight heartbeats finish (finish() ends the polls). */
  stop: AbortSignal;
  events: AgentEvents;
}
