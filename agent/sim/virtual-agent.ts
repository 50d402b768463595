/**
 * One simulated agent speaking protocol v1 through the agent's own transport (createClient) and
 * following the agent's own policy (agent/policy.ts: since, resets, long-poll, intervals, jitter,
 * backoff, revoke, the intervals the server advertises), without Vector or a disk: enrol, poll or long-poll config, "apply" after a
 * delay (or fail validation, for the failing share from --fail-from-version on), heartbeat on the policy's schedule and early
 * after a change, run `upgrade_agent` and report running → done until the server took it.
 * Timer-driven rather than one pending loop per task, so 100,000 of them stay cheap.
 */
import { randomUUID } from 'node:crypto';
import { sleep } from '../clock.ts';
import {
  DEFAULT_BACKOFF,
  HeartbeatPolicy,
  TelemetrySchedule,
  MIN_HEARTBEAT_GAP_MS,
  PollPolicy,
  ServerIntervals,
  afterApply,
  earlyHeartbeatDelay,
  heartbeatPhase,
  postApplyHeartbeatDelay,
  type PollTuning,
  type ReportedConfig,
} from '../policy.ts';
import { createBackoff } from '../transport/backoff.ts';
import type { AgentClient, Credentials } from '../transport/client.ts';
import { AgentActions } from './actions.ts';
import type { AgentEnv } from './env.ts';
import type { Tuning } from './options.ts';
import { SimTelemetry } from './telemetry.ts';

export class VirtualAgent {
  private creds: Credentials | undefined;
  private reported: ReportedConfig = { appliedConfigVersion: 0, configError: null };
  /** An update applied and not yet carried by an acknowledged heartbeat (null: none). */
  private unreportedUpdate: number | null = null;
  private hadConfig = false;
  private version: string;
  private readonly startedAt: number;
  private readonly actions: AgentActions;
  private readonly telemetry: SimTelemetry | undefined;
  private heartbeatTimer: unknown;
  private heartbeatInFlight: Promise<void> | null = null;
  private heartbeatAgain = false;
  /** When the last heartbeat was answered (clock time). */
  private answeredAt = -Infinity;
  /** Aborts the config poll in flight (at the end of the run). */
  private pollAbort: AbortController | null = null;
  /** The poll loop, which ends once `env.stop` aborted (finish() waits for it). */
  private polling: Promise<void> = Promise.resolve();
  private revoked = false;
  /** Sent with every attempt of the enrolment, so a retry after a lost answer adds no second agent. */
  private readonly enrolmentKey = randomUUID();
  private readonly heartbeats: HeartbeatPolicy;
  private readonly telemetrySchedule = new TelemetrySchedule();
  private readonly polls: PollPolicy;
  /** Intervals advertised by the server (fleet settings), else the simulator's tuning. */
  private readonly intervals: ServerIntervals;

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
      failsUpgradeTo: (version) => this.failing && version === env.tuning.failUpgradeTo,
      nudge: () => this.beat(),
    });
    this.startedAt = env.clock.now();
    this.telemetry = env.telemetry ? new SimTelemetry(index, this.startedAt, env.random) : undefined;
    this.heartbeats = new HeartbeatPolicy(createBackoff(DEFAULT_BACKOFF, env.random), env.random);
    this.polls = new PollPolicy(createBackoff(DEFAULT_BACKOFF, env.random), env.random);
    this.intervals = new ServerIntervals(() => env.tuning);
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
          enrolmentKey: this.enrolmentKey,
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
    this.polling = this.pollLoop();
  }

  /** The heartbeat interval changed: draw a new phase in the new interval. */
  rephase(): void {
    if (this.heartbeatInFlight || this.revoked || !this.creds) return;
    this.schedule(heartbeatPhase(this.intervals.heartbeatIntervalMs, this.env.random));
  }

  /**
   * After `stop` aborted: end the config poll and wait for the poll loop to end, cut a running
   * upgrade short, let an in-flight heartbeat finish, and send one last heartbeat when results are
   * still waiting, so nothing is left unreported. Resolves the number of results that still did not
   * get through.
   */
  async finish(): Promise<number> {
    this.pollAbort?.abort();
    this.env.clock.clearTimeout(this.heartbeatTimer);
    await this.polling;
    await this.actions.settled();
    await this.heartbeatInFlight;
    if (this.actions.waiting > 0 && this.creds && !this.revoked) await this.sendHeartbeat();
    return this.actions.waiting;
  }

  private schedule(ms: number): void {
    this.env.clock.clearTimeout(this.heartbeatTimer);
    if (this.env.stop.aborted || this.revoked) return;
    this.heartbeatTimer = this.env.clock.setTimeout(() => this.beat(), ms);
  }

  /** Heartbeat now (or once the policy's minimum gap has passed), or right after the one in flight. */
  private beat(): void {
    if (this.env.stop.aborted || this.revoked) return;
    if (this.heartbeatInFlight) {
      this.heartbeatAgain = true;
      return;
    }
    const gap = earlyHeartbeatDelay(this.env.clock.now() - this.answeredAt);
    if (gap > 0) return this.schedule(gap);
    this.env.clock.clearTimeout(this.heartbeatTimer);
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
    const applied = this.reported.appliedConfigVersion;
    const reporting = this.unreportedUpdate;
    const now = this.env.clock.now();
    const withTelemetry = this.telemetrySchedule.take(now, this.intervals.heartbeatIntervalMs);
    const telemetry = withTelemetry ? this.telemetry?.sample(now) : undefined;
    const outcome = await this.client.heartbeat(creds, {
      agentVersion: this.version,
      vectorVersion: this.env.vectorVersion,
      appliedConfigVersion: applied,
      vectorRunning: applied > 0,
      vectorUptimeSeconds: Math.floor((now - (this.telemetry?.vectorStartedAt ?? this.startedAt)) / 1000),
      configError: this.reported.configError,
      ...(sent.length > 0 ? { actionResults: sent.map((p) => p.result) } : {}),
      ...(telemetry ? { telemetry } : {}),
    });
    this.answeredAt = this.env.clock.now();
    this.env.events.heartbeat(outcome.kind === 'ok');
    if (outcome.kind === 'ok') {
      this.intervals.adopt(outcome.value);
      this.acknowledge(reporting);
    }
    const next = this.heartbeats.next(outcome, this.intervals.heartbeatIntervalMs);
    if (outcome.kind !== 'ok') this.actions.notDelivered(sent);
    else {
      this.actions.acknowledge(sent, outcome.value.rejectedResults);
      this.actions.receive(outcome.value.pendingActions);
    }
    if (next.kind === 'revoked') return this.markRevoked();
    return next.ms;
  }

  /** The server has seen the update `reporting` (unless a newer one was applied meanwhile). */
  private acknowledge(reporting: number | null): void {
    if (reporting === null || reporting !== this.unreportedUpdate) return;
    this.env.events.reported(reporting, this.answeredAt);
    this.unreportedUpdate = null;
  }

  private async pollLoop(): Promise<void> {
    while (!this.env.stop.aborted && !this.revoked) {
      const delay = await this.pollOnce();
      await sleep(this.env.clock, delay, this.env.stop);
    }
  }

  /** One config poll (held when the server offers long-poll); resolves the delay before the next. */
  private async pollOnce(): Promise<number> {
    const tuning = pollTuning(this.env.tuning, this.intervals.pollIntervalMs);
    const query = this.polls.query(this.reported, tuning);
    const started = this.env.clock.now();
    this.pollAbort = new AbortController();
    const outcome = await this.client.pollConfig(this.creds as Credentials, query, this.pollAbort.signal);
    this.pollAbort = null;
    if (this.env.stop.aborted) return 0;
    const heldMs = this.env.clock.now() - started;
    if (outcome.kind === 'ok' && outcome.value.kind === 'config')
      await this.apply(outcome.value.version, query.since);
    const next = this.polls.next(query, outcome, tuning, heldMs);
    if (next.kind === 'revoked') return this.markRevoked();
    return next.ms;
  }

  private async apply(version: number, since: number): Promise<void> {
    this.env.events.received(this.index, version, this.env.clock.now());
    if (this.env.tuning.applyDelayMs > 0)
      await sleep(this.env.clock, this.env.tuning.applyDelayMs, this.env.stop);
    const update = this.hadConfig;
    this.hadConfig = true;
    const fails = this.failing && version >= this.env.tuning.failFromVersion;
    const error = fails ? `simulated: vector validate failed for version ${version}` : undefined;
    this.reported = afterApply(this.reported, version, since, error);
    if (update && !error) {
      this.telemetry?.reloaded();
      this.unreportedUpdate = version;
    }
    this.env.events.applied(version, this.env.clock.now(), update, fails);
    this.env.clock.setTimeout(() => this.beat(), postApplyHeartbeatDelay(this.env.random));
  }

  /** The token was revoked: stop both tasks (once). Returns 0, the delay before they notice. */
  private markRevoked(): number {
    if (!this.revoked) this.env.events.revoked();
    this.revoked = true;
    this.env.clock.clearTimeout(this.heartbeatTimer);
    return 0;
  }
}

/** The policy's view of the simulator's tuning and the poll interval in effect: `poll` mode never long-polls. */
function pollTuning(t: Tuning, pollIntervalMs: number): PollTuning {
  return { pollIntervalMs, longPollSeconds: t.pollMode === 'poll' ? 0 : t.longPollSeconds };
}
