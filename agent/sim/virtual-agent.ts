/**
 * One simulated agent speaking protocol v1 through the agent's own transport (createClient). It
 * behaves like agent/loop.ts without Vector or a disk: enrol, poll or long-poll config, "apply"
 * after a delay (or fail validation, for the failing share) and poll again after the poll
 * interval, heartbeat on a jittered interval and early after a change, run `upgrade_agent` and report running → done until the server took it.
 * Timer-driven rather than one pending loop per task, so 100,000 of them stay cheap.
 */
import { sleep, type Clock } from '../clock.ts';
import { createBackoff, type Backoff } from '../transport/backoff.ts';
import type { AgentClient, Credentials, Outcome } from '../transport/client.ts';
import { AgentActions } from './actions.ts';
import type { Tuning } from './options.ts';

/** What a virtual agent reports to its shard. */
export interface AgentEvents {
  enrolled(ok: boolean): void;
  heartbeat(ok: boolean): void;
  received(version: number, at: number): void;
  /** `update`: the agent had a config before (not its first); `failed`: validation failed. */
  applied(version: number, at: number, update: boolean, failed: boolean): void;
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
  tuning: Tuning;
  clock: Clock;
  random: () => number;
  /** Aborts when the run ends: waits stop, in-flight heartbeats finish (finish() ends the polls). */
  stop: AbortSignal;
  events: AgentEvents;
}

const MIN_HEARTBEAT_GAP_MS = 200;
const backoffPolicy = { initialMs: 1000, maxMs: 30_000 };

export class VirtualAgent {
  private creds: Credentials | undefined;
  private applied = 0;
  private configError: { version: number; message: string } | null = null;
  private hadConfig = false;
  private version: string;
  private readonly startedAt: number;
  private readonly actions: AgentActions;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight: Promise<void> | null = null;
  private heartbeatAgain = false;
  private beats = 0;
  private longPollMax: number | undefined;
  /** Aborts the config poll in flight (at the end of the run). */
  private pollAbort: AbortController | null = null;
  private revoked = false;
  private readonly heartbeatBackoff: Backoff;
  private readonly pollBackoff: Backoff;

  constructor(
    readonly index: number,
    private readonly client: AgentClient,
    private readonly env: AgentEnv,
    readonly failing: boolean,
  ) {
    this.version = env.agentVersion;
    this.actions = new AgentActions(client, env, {
      currentVersion: () => this.version,
      upgradedTo: (version) => void (this.version = version),
      nudge: () => this.beat(),
    });
    this.startedAt = env.clock.now();
    this.heartbeatBackoff = createBackoff(backoffPolicy, env.random);
    this.pollBackoff = createBackoff(backoffPolicy, env.random);
  }

  /** Enrol with a bootstrap token, retrying retryable failures. Resolves false on a fatal one or a stop. */
  async enrol(): Promise<boolean> {
    const backoff = createBackoff({ initialMs: 500, maxMs: 10_000 }, this.env.random);
    while (!this.env.stop.aborted) {
      const outcome = await this.client.enrol(
        this.env.serverUrl,
        {
          bootstrapToken: this.env.tokens[this.index % this.env.tokens.length],
          hostname: `${this.env.hostPrefix}-${this.index}`,
          platform: 'linux',
          os: 'Simulated Linux',
          kernel: '6.1.0-sim',
          agentVersion: this.version,
          vectorVersion: this.env.vectorVersion,
        },
        this.env.stop,
      );
      if (outcome.kind === 'ok') {
        this.creds = { apiUrl: this.env.serverUrl, ...outcome.value };
        this.env.events.enrolled(true);
        return true;
      }
      if (outcome.kind === 'fatal') {
        this.env.events.enrolled(false);
        return false;
      }
      await sleep(this.env.clock, backoff.next(outcome.retryAfterMs), this.env.stop);
    }
    return false;
  }

  /** Start heartbeating and polling (after a successful enrol). */
  start(): void {
    this.beat();
    void this.pollLoop();
  }

  /** The heartbeat interval changed: draw a new phase in the new interval. */
  rephase(): void {
    if (this.heartbeatInFlight || this.revoked || !this.creds) return;
    this.schedule(this.env.random() * this.env.tuning.heartbeatIntervalMs);
  }

  /**
   * After `stop` aborted: end the config poll, cut a running upgrade short, let an in-flight
   * heartbeat finish, and send one last heartbeat when results are still waiting, so nothing is
   * left unreported. Resolves the number of results that still did not get through.
   */
  async finish(): Promise<number> {
    this.pollAbort?.abort();
    clearTimeout(this.heartbeatTimer);
    await this.actions.settled();
    await this.heartbeatInFlight;
    if (this.actions.waiting > 0 && this.creds && !this.revoked) await this.sendHeartbeat();
    return this.actions.waiting;
  }

  private schedule(ms: number): void {
    clearTimeout(this.heartbeatTimer);
    if (this.env.stop.aborted || this.revoked) return;
    this.heartbeatTimer = setTimeout(() => this.beat(), ms);
  }

  /** Heartbeat now, or right after the one in flight. */
  private beat(): void {
    if (this.env.stop.aborted || this.revoked) return;
    if (this.heartbeatInFlight) {
      this.heartbeatAgain = true;
      return;
    }
    clearTimeout(this.heartbeatTimer);
    this.heartbeatAgain = false;
    this.heartbeatInFlight = this.sendHeartbeat().then((next) => {
      this.heartbeatInFlight = null;
      this.schedule(this.heartbeatAgain ? MIN_HEARTBEAT_GAP_MS : next);
    });
  }

  /** One heartbeat; resolves the delay before the next one. */
  private async sendHeartbeat(): Promise<number> {
    const creds = this.creds as Credentials;
    const sent = this.actions.pending();
    const outcome = await this.client.heartbeat(creds, {
      agentVersion: this.version,
      vectorVersion: this.env.vectorVersion,
      appliedConfigVersion: this.applied,
      vectorRunning: this.applied > 0,
      vectorUptimeSeconds: Math.floor((this.env.clock.now() - this.startedAt) / 1000),
      configError: this.configError,
      ...(sent.length > 0 ? { actionResults: sent.map((p) => p.result) } : {}),
    });
    this.env.events.heartbeat(outcome.kind === 'ok');
    if (outcome.kind !== 'ok') {
      this.actions.notDelivered(sent);
      if (this.isRevoked(outcome)) return 0;
      return this.heartbeatBackoff.next(outcome.kind === 'retryable' ? outcome.retryAfterMs : undefined);
    }
    this.heartbeatBackoff.reset();
    this.actions.acknowledge(sent, outcome.value.rejectedResults);
    this.actions.receive(outcome.value.pendingActions);
    this.beats += 1;
    const interval = this.env.tuning.heartbeatIntervalMs;
    // The second beat lands at a random phase, so a fleet enrolled in a burst spreads out.
    return this.beats === 1 ? this.env.random() * interval : interval * (0.9 + 0.2 * this.env.random());
  }

  private async pollLoop(): Promise<void> {
    while (!this.env.stop.aborted && !this.revoked) {
      const delay = await this.pollOnce();
      await sleep(this.env.clock, delay, this.env.stop);
    }
  }

  /** One config poll (held when the server offers long-poll); resolves the delay before the next. */
  private async pollOnce(): Promise<number> {
    const t = this.env.tuning;
    const since = Math.max(this.applied, this.configError?.version ?? 0);
    const longPoll = () => t.pollMode === 'auto' && this.longPollMax !== undefined;
    const waitSeconds = longPoll() ? Math.min(this.longPollMax as number, t.longPollSeconds) : undefined;
    const started = this.env.clock.now();
    this.pollAbort = new AbortController();
    const creds = this.creds as Credentials;
    const outcome = await this.client.pollConfig(creds, { since, waitSeconds }, this.pollAbort.signal);
    this.pollAbort = null;
    if (this.env.stop.aborted) return 0;
    const interval = t.pollIntervalMs * (0.9 + 0.2 * this.env.random());
    if (outcome.kind !== 'ok') {
      if (this.isRevoked(outcome)) return 0;
      return this.pollBackoff.next(outcome.kind === 'retryable' ? outcome.retryAfterMs : undefined);
    }
    this.pollBackoff.reset();
    this.longPollMax = outcome.value.longPollMax;
    if (outcome.value.kind === 'config') {
      // Like agent/loop.ts: after a config, the next poll waits the poll interval.
      await this.apply(outcome.value.version, since);
      return interval;
    }
    const held = waitSeconds === undefined || this.env.clock.now() - started >= 1000;
    return longPoll() && held ? 0 : interval;
  }

  private async apply(version: number, since: number): Promise<void> {
    this.env.events.received(version, this.env.clock.now());
    if (this.env.tuning.applyDelayMs > 0)
      await sleep(this.env.clock, this.env.tuning.applyDelayMs, this.env.stop);
    const update = this.hadConfig;
    this.hadConfig = true;
    if (this.failing) {
      this.configError = { version, message: `simulated: vector validate failed for version ${version}` };
      // A version at or below `since` means the server reset us (moved to another group).
      if (version <= since) this.applied = 0;
    } else {
      this.applied = version;
      this.configError = null;
    }
    this.env.events.applied(version, this.env.clock.now(), update, this.failing);
    this.beat();
  }

  private isRevoked(outcome: Outcome<unknown>): boolean {
    if (outcome.kind !== 'fatal' || (outcome.status !== 401 && outcome.status !== 403)) return false;
    if (!this.revoked) this.env.events.revoked();
    this.revoked = true;
    clearTimeout(this.heartbeatTimer);
    return true;
  }
}
