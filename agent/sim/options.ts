/** Options of a simulated fleet, their defaults, and the part that can change while it runs. */
import {
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  DEFAULT_POLL_INTERVAL_SECONDS,
  LONG_POLL_MAX_SECONDS,
} from '../../api/protocol/v1.ts';
import { DEFAULT_LONG_POLL_SECONDS } from '../policy.ts';

/** Behaviour that can be changed while the fleet runs (Fleet.retune). */
export interface Tuning {
  heartbeatIntervalMs: number;
  /** Plain polling interval (`poll` mode, or a server that does not offer long-poll). */
  pollIntervalMs: number;
  /** `auto`: long-poll when the server advertises it, else poll; `poll`: always plain polls. */
  pollMode: 'auto' | 'poll';
  /** Seconds asked for in `wait` (capped by the server's x-long-poll-max). */
  longPollSeconds: number;
  /** Time an agent takes to "apply" a config. */
  applyDelayMs: number;
  /** Time an upgrade takes between `running` and `done`. */
  upgradeDelayMs: number;
  /** The failing share fails only config versions from this one on (1: every version). */
  failFromVersion: number;
  /** The failing share fails upgrade_agent to this release (`failed`, version unchanged); '' none. */
  failUpgradeTo: string;
}

export interface FleetOptions extends Tuning {
  serverUrl: string;
  /**
   * Bootstrap (EBT_) tokens with enough uses between them; agent i uses token i mod n. Enrolments
   * on one token take turns on its row lock, so several tokens enrol a big fleet faster.
   */
  tokens: string[];
  agents: number;
  /** Share of agents (0–1) whose configs fail validation (they report configError), see failFromVersion. */
  failShare: number;
  /** Keep, per config version, the index of every agent answered a 200 with it (FleetReport.receipts). */
  recordReceipts: boolean;
  /** Worker processes; 0 runs every agent in this process. */
  processes: number;
  /** Source addresses to spread sockets over (empty: the OS picks). */
  localAddresses: string[];
  /** Enrolments in flight at once, per process. */
  enrolConcurrency: number;
  /** Per-request timeout of the transport (long-polls get their wait on top). */
  requestTimeoutMs: number;
  /** Download the release on upgrade_agent (checked against its sha256). */
  download: boolean;
  /** Send telemetry (a ten-component pipeline, host metrics) in every heartbeat (sim/telemetry.ts). */
  telemetry: boolean;
  agentVersion: string;
  vectorVersion: string;
  /** Hostnames are `<hostPrefix>-<index>`. */
  hostPrefix: string;
}

/** Agents per worker process when `processes` is not given (well under a 20,000 open-file limit). */
export const AGENTS_PER_PROCESS = 15_000;
/**
 * Connections a worker keeps beyond one per agent (for the held polls), as a share of its agents.
 * A real agent keeps two (its poll's and its heartbeats'), but 10,000 agents keeping two each
 * would reach the 20,000 open files a server process gets on this project's machines, and 15,000
 * agents those of a worker. Requests beyond them wait for a free connection (socket-pool.ts).
 */
export const SPARE_CONNECTIONS_SHARE = 0.3;

/** Defaults: the production agent's intervals (heartbeat 30 s, poll 10 s, long-poll 50 s). */
export function defaultOptions(serverUrl: string, tokens: string[], agents: number): FleetOptions {
  const loopback = /^https?:\/\/127\./.test(serverUrl);
  return {
    serverUrl: serverUrl.replace(/\/+$/, ''),
    tokens,
    agents,
    failShare: 0,
    failFromVersion: 1,
    failUpgradeTo: '',
    recordReceipts: false,
    processes: agents > AGENTS_PER_PROCESS ? Math.ceil(agents / AGENTS_PER_PROCESS) : 0,
    // Bind only when one source address is not enough: a bound socket gets its port at bind(),
    // a slow search through the whole range once many ports sit in TIME_WAIT.
    localAddresses: loopback && agents > 20_000 ? localAddresses(Math.ceil(agents / 20_000)) : [],
    enrolConcurrency: 50,
    requestTimeoutMs: 15_000,
    download: true,
    telemetry: true,
    agentVersion: '0.1.0',
    vectorVersion: '0.58.0',
    hostPrefix: `sim-${Math.random().toString(36).slice(2, 8)}`,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_SECONDS * 1000,
    pollIntervalMs: DEFAULT_POLL_INTERVAL_SECONDS * 1000,
    pollMode: 'auto',
    longPollSeconds: DEFAULT_LONG_POLL_SECONDS,
    applyDelayMs: 0,
    upgradeDelayMs: 1000,
  };
}

/** Throws an Error naming the first option out of range. */
export function checkOptions(o: FleetOptions): void {
  const problems: [boolean, string][] = [
    [!/^https?:\/\//.test(o.serverUrl), 'server URL must start with http:// or https://'],
    [o.tokens.length === 0, 'give at least one bootstrap token'],
    [!Number.isInteger(o.agents) || o.agents < 1, 'agents must be a positive integer'],
    [!(o.failShare >= 0 && o.failShare <= 1), 'fail share must be between 0 and 1'],
    [
      !Number.isInteger(o.failFromVersion) || o.failFromVersion < 1,
      'fail-from version must be a positive integer',
    ],
    [!Number.isInteger(o.processes) || o.processes < 0, 'processes must be 0 or more'],
    [o.heartbeatIntervalMs < 10 || o.pollIntervalMs < 10, 'intervals must be at least 10 ms'],
    [
      !(
        Number.isInteger(o.longPollSeconds) &&
        o.longPollSeconds >= 1 &&
        o.longPollSeconds <= LONG_POLL_MAX_SECONDS
      ),
      `long-poll seconds must be an integer 1–${LONG_POLL_MAX_SECONDS}`,
    ],
    [o.enrolConcurrency < 1, 'enrol concurrency must be at least 1'],
  ];
  const problem = problems.find(([bad]) => bad);
  if (problem) throw new Error(problem[1]);
}

/** True when agent `index` belongs to the failing share: exactly ⌊agents × share⌋, spread evenly. */
export function isFailing(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}

/** Source addresses for `count` (127.0.0.1 … 127.0.0.count) or a comma-separated list. */
export function localAddresses(spec: string | number): string[] {
  if (typeof spec === 'number' || /^\d+$/.test(spec)) {
    const n = Math.max(1, Math.min(250, Number(spec)));
    return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
  }
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
