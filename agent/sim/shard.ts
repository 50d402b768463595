/**
 * A shard: the virtual agents of one process (agents `first … first + count - 1`), their shared
 * transport and the counters they report to. A fleet is one shard in-process or one per worker.
 * Snapshots are cumulative plain data, so the parent can add shards up and subtract two
 * snapshots to get one interval.
 */
import { createClient } from '../transport/client.ts';
import { createSystemClock } from '../clock.ts';
import { createSocketPool } from './socket-pool.ts';
import { emptyHistogram, record, type Histogram } from './histogram.ts';
import { isFailing, SPARE_CONNECTIONS_SHARE, type FleetOptions, type Tuning } from './options.ts';
import { RequestStats, type RequestTotals } from './requests.ts';
import type { AgentEnv, AgentEvents } from './env.ts';
import { VirtualAgent } from './virtual-agent.ts';

export interface AgentCounts {
  target: number;
  enrolled: number;
  enrolFailed: number;
  failing: number;
  revoked: number;
}

export interface ActionCounts {
  received: number;
  redelivered: number;
  done: number;
  failed: number;
  resultsCreated: number;
  resultsAcknowledged: number;
  resultsDuplicated: number;
  resultsRejected: number;
}

/** Per config version: how many agents got it, applied it or failed it (first config or update). */
export interface VersionCounts {
  firstReceivedAt: number;
  received: number;
  applied: number;
  failed: number;
  /** Updates the server acknowledged in a heartbeat (what the server sees as applied). */
  reported: number;
}

export interface ShardSnapshot {
  at: number;
  agents: AgentCounts;
  requests: RequestTotals;
  heartbeats: { ok: number; failed: number };
  actions: ActionCounts;
  versions: Record<string, VersionCounts>;
  openSockets: number;
  process: { cpuMicros: number; rssBytes: number; loopDelay: Histogram };
}

/**
 * A shard's last word: its final snapshot, per version when each agent applied it as an update,
 * and (with recordReceipts) per version the index of every agent answered a 200 with it.
 */
export interface ShardFinal {
  snapshot: ShardSnapshot;
  updateTimes: Record<string, UpdateTimes>;
  receipts: Record<string, number[]>;
  unreportedResults: number;
}

/** Per version, when each agent applied it as an update, failed it, and had the server acknowledge it. */
export interface UpdateTimes {
  applied: number[];
  failed: number[];
  reported: number[];
}

const LOOP_SAMPLE_MS = 50;

export class Shard {
  private readonly stop = new AbortController();
  /**
   * One stop signal per virtual agent, aborted with the shard's (which nothing listens on). Every
   * wait of an agent listens on its stop signal, and adding a listener to an AbortSignal scans the
   * ones it has: with one signal for the whole shard, 10,000 agents waiting at once after a change
   * made that quadratic (7 % of the simulator's CPU in the change window).
   */
  private readonly agentStops: AbortController[] = [];
  private readonly stats = new RequestStats(this.stop.signal);
  private readonly pool;
  private readonly tuning: Tuning;
  private readonly agents: VirtualAgent[] = [];
  private readonly counts: AgentCounts;
  private readonly heartbeats = { ok: 0, failed: 0 };
  private readonly actions: ActionCounts = {
    received: 0,
    redelivered: 0,
    done: 0,
    failed: 0,
    resultsCreated: 0,
    resultsAcknowledged: 0,
    resultsDuplicated: 0,
    resultsRejected: 0,
  };
  private readonly versions = new Map<number, VersionCounts>();
  private readonly updateTimes = new Map<number, UpdateTimes>();
  private readonly receipts = new Map<number, number[]>();
  private readonly loopDelay = emptyHistogram();
  private readonly loopTimer: NodeJS.Timeout;
  private readonly cpuAtStart = process.cpuUsage();
  private enrolling: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: FleetOptions,
    private readonly first: number,
    count: number,
  ) {
    this.tuning = { ...options };
    this.pool = createSocketPool(options.localAddresses, count + Math.ceil(count * SPARE_CONNECTIONS_SHARE));
    this.counts = { target: count, enrolled: 0, enrolFailed: 0, failing: 0, revoked: 0 };
    let expected = performance.now() + LOOP_SAMPLE_MS;
    this.loopTimer = setInterval(() => {
      const now = performance.now();
      record(this.loopDelay, Math.max(0, now - expected));
      expected = now + LOOP_SAMPLE_MS;
    }, LOOP_SAMPLE_MS);
  }

  /** Enrol the agents (`enrolConcurrency` at a time) and start each as soon as it is enrolled. */
  start(): void {
    const env = this.env();
    const clients = Array.from({ length: this.pool.lanes }, (_, lane) => this.client(lane));
    let next = 0;
    const count = this.counts.target;
    const lane = async () => {
      while (next < count && !this.stop.signal.aborted) {
        const index = this.first + next++;
        const failing = isFailing(index, this.options.failShare);
        const agent = new VirtualAgent(index, clients[index % clients.length], this.ownStop(env), failing);
        if (!(await agent.enrol())) continue;
        if (failing) this.counts.failing += 1;
        this.agents.push(agent);
        agent.start();
      }
    };
    const lanes = Math.min(count, this.options.enrolConcurrency);
    this.enrolling = Promise.all(Array.from({ length: lanes }, lane)).then(() => undefined);
  }

  /** Change intervals or delays of every agent from now on (a held poll keeps its old wait). */
  retune(change: Partial<Tuning>): void {
    const rephase =
      change.heartbeatIntervalMs !== undefined &&
      change.heartbeatIntervalMs !== this.tuning.heartbeatIntervalMs;
    Object.assign(this.tuning, change);
    if (rephase) for (const agent of this.agents) agent.rephase();
  }

  /** Cumulative figures so far. */
  snapshot(): ShardSnapshot {
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      at: Date.now(),
      agents: { ...this.counts },
      requests: this.stats.totals(),
      heartbeats: { ...this.heartbeats },
      actions: { ...this.actions },
      versions: Object.fromEntries([...this.versions].map(([v, c]) => [String(v), { ...c }])),
      openSockets: this.pool.openSockets(),
      process: {
        cpuMicros: cpu.user + cpu.system,
        rssBytes: process.memoryUsage.rss(),
        loopDelay: [...this.loopDelay],
      },
    };
  }

  /** Stop every agent, let them report what they still hold, and close the sockets. */
  async finish(): Promise<ShardFinal> {
    this.stop.abort();
    for (const stop of this.agentStops) stop.abort();
    await this.enrolling;
    const left = await Promise.all(this.agents.map((a) => a.finish()));
    clearInterval(this.loopTimer);
    this.pool.destroy();
    return {
      snapshot: this.snapshot(),
      updateTimes: Object.fromEntries([...this.updateTimes].map(([v, t]) => [String(v), t])),
      receipts: Object.fromEntries([...this.receipts].map(([v, r]) => [String(v), r])),
      unreportedResults: left.reduce((a, b) => a + b, 0),
    };
  }

  private client(lane: number) {
    return createClient({
      fetch: this.stats.instrument(this.pool.fetchFor(lane)),
      clock: createSystemClock(),
      timeoutMs: this.options.requestTimeoutMs,
      userAgent: `flotilla-sim/${this.options.agentVersion}`,
    });
  }

  /** `env` with a stop signal of the agent's own, aborted by finish(). */
  private ownStop(env: AgentEnv): AgentEnv {
    const stop = new AbortController();
    this.agentStops.push(stop);
    return { ...env, stop: stop.signal };
  }

  private env(): AgentEnv {
    return {
      serverUrl: this.options.serverUrl,
      tokens: this.options.tokens,
      hostPrefix: this.options.hostPrefix,
      agentVersion: this.options.agentVersion,
      vectorVersion: this.options.vectorVersion,
      download: this.options.download,
      telemetry: this.options.telemetry,
      tuning: this.tuning,
      clock: createSystemClock(),
      random: Math.random,
      stop: this.stop.signal,
      events: this.events(),
    };
  }

  private times(v: number): UpdateTimes {
    let times = this.updateTimes.get(v);
    if (!times) this.updateTimes.set(v, (times = { applied: [], failed: [], reported: [] }));
    return times;
  }

  private events(): AgentEvents {
    const version = (v: number, at: number) => {
      let c = this.versions.get(v);
      if (!c)
        this.versions.set(v, (c = { firstReceivedAt: at, received: 0, applied: 0, failed: 0, reported: 0 }));
      return c;
    };
    const resultKey = {
      created: 'resultsCreated',
      acknowledged: 'resultsAcknowledged',
      duplicated: 'resultsDuplicated',
      rejected: 'resultsRejected',
    } as const;
    return {
      enrolled: (ok) => (ok ? this.counts.enrolled++ : this.counts.enrolFailed++),
      heartbeat: (ok) => (ok ? this.heartbeats.ok++ : this.heartbeats.failed++),
      received: (index, v, at) => {
        const c = version(v, at);
        c.received += 1;
        c.firstReceivedAt = Math.min(c.firstReceivedAt, at);
        if (!this.options.recordReceipts) return;
        const got = this.receipts.get(v);
        if (got) got.push(index);
        else this.receipts.set(v, [index]);
      },
      applied: (v, at, update, failed) => {
        const c = version(v, at);
        if (failed) c.failed += 1;
        else c.applied += 1;
        if (!update) return;
        (failed ? this.times(v).failed : this.times(v).applied).push(at);
      },
      reported: (v, at) => {
        version(v, at).reported += 1;
        this.times(v).reported.push(at);
      },
      action: (event) => void this.actions[event]++,
      result: (event) => void this.actions[resultKey[event]]++,
      revoked: () => void this.counts.revoked++,
    };
  }
}
