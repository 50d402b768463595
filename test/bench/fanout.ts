/**
 * Subscription fan-out: a dashboard client (graphql-ws on /graphql, API token) watching the whole
 * fleet with `agentUpdated` while every agent heartbeats. Latency per agent update = when the
 * message arrived − the agent's `lastHeartbeatAt` (the server's receive time of that heartbeat,
 * same clock). With 1 and with 100 dashboards, to show the cost does not grow per dashboard. Also
 * the server memory per connected dashboard, on a fresh server process, after garbage collection.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { exactPercentiles, type Percentiles } from '../../agent/sim/histogram.ts';
import { startBenchServer, type BenchServer } from './fleet-server.ts';
import { cpuBetween, sampleCpu } from './cpu.ts';
import { heapProbe, perConnection } from './memory.ts';

const SUBSCRIPTION = 'subscription { agentUpdated { agents { id lastHeartbeatAt } membershipChanged } }';
export const FANOUT_P99_TARGET_MS = 500;

export interface FanoutResult {
  dashboards: number;
  seconds: number;
  messages: number;
  /** Per dashboard. */
  messagesPerSecond: number;
  /** Heartbeats seen by the client, per second, and how many agents they covered. */
  agentUpdatesPerSecond: number;
  distinctAgents: number;
  latencyMs: Percentiles;
  /** The server process's CPU over the window, % of one core. */
  serverCpuPercent: number;
}

function dashboard(baseUrl: string, apiToken: string): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiToken}` },
    lazy: false,
    retryAttempts: 0,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** With this many dashboards the server's CPU may be at most FANOUT_CPU_RATIO_TARGET × that with one. */
export const FANOUT_DASHBOARDS = 100;
export const FANOUT_CPU_RATIO_TARGET = 1.2;

/**
 * Watch every agent from `dashboards` clients for `seconds` while the fleet heartbeats (at its
 * current interval). Latency is over every client's messages; CPU is the server's in the window.
 */
export async function benchFanout(server: BenchServer, seconds = 30, dashboards = 1): Promise<FanoutResult> {
  const clients = Array.from({ length: dashboards }, () => dashboard(server.baseUrl, server.apiToken));
  const lastSeen = clients.map(() => new Map<string, number>());
  const latencies: number[] = [];
  let messages = 0;
  let measuring = false;
  let startedAt = 0;
  let failure: unknown;
  const stops = clients.map((client, i) =>
    client.subscribe<{
      agentUpdated: { agents: { id: string; lastHeartbeatAt: string | null }[] };
    }>(
      { query: SUBSCRIPTION },
      {
        next: (message) => {
          const arrived = Date.now();
          if (!measuring) return;
          messages += 1;
          for (const agent of message.data?.agentUpdated.agents ?? []) {
            const beat = agent.lastHeartbeatAt ? Date.parse(agent.lastHeartbeatAt) : 0;
            if (beat <= (lastSeen[i].get(agent.id) ?? startedAt)) continue;
            lastSeen[i].set(agent.id, beat);
            latencies.push(arrived - beat);
          }
        },
        error: (error) => (failure = error),
        complete: () => undefined,
      },
    ),
  );
  try {
    await sleep(2000);
    const cpuBefore = await sampleCpu(server.pid);
    startedAt = Date.now();
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    const cpu = cpuBetween(cpuBefore, await sampleCpu(server.pid));
    if (failure) throw new Error(`subscription failed: ${JSON.stringify(failure)}`);
    const elapsed = (Date.now() - startedAt) / 1000;
    return {
      dashboards,
      seconds: Math.round(elapsed),
      messages,
      messagesPerSecond: Math.round((10 * messages) / dashboards / elapsed) / 10,
      agentUpdatesPerSecond: Math.round(latencies.length / dashboards / elapsed),
      distinctAgents: lastSeen[0].size,
      latencyMs: exactPercentiles(latencies),
      serverCpuPercent: cpu.serverPercent,
    };
  } finally {
    for (const stop of stops) stop();
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

/** Rounds of the 1 vs FANOUT_DASHBOARDS comparison, interleaved so drift on the box hits both sides. */
export const FANOUT_ROUNDS = 3;

export interface FanoutComparison {
  /** Per round: one dashboard, then FANOUT_DASHBOARDS. */
  rounds: { one: FanoutResult; many: FanoutResult }[];
  /** Server CPU with many dashboards ÷ with one, per round: the median and the spread. */
  cpuRatio: { median: number; min: number; max: number };
}

/**
 * `rounds` × (one dashboard for `seconds`, then FANOUT_DASHBOARDS for `seconds`): the server's
 * CPU ratio of each round, so a background burst (a telemetry flush, a major collection) in one
 * window moves one round's figure, not the result.
 */
export async function compareFanout(
  server: BenchServer,
  rounds = FANOUT_ROUNDS,
  seconds = 20,
): Promise<FanoutComparison> {
  const done: FanoutComparison['rounds'] = [];
  for (let i = 0; i < rounds; i++) {
    const one = await benchFanout(server, seconds);
    const many = await benchFanout(server, seconds, FANOUT_DASHBOARDS);
    done.push({ one, many });
  }
  const ratios = done
    .map((r) => Math.round((100 * r.many.serverCpuPercent) / Math.max(1, r.one.serverCpuPercent)) / 100)
    .sort((a, b) => a - b);
  return {
    rounds: done,
    cpuRatio: {
      median: ratios[Math.floor(ratios.length / 2)],
      min: ratios[0],
      max: ratios[ratios.length - 1],
    },
  };
}

export interface DashboardMemory {
  dashboards: number;
  /** Server RSS growth per dashboard, both sides after full garbage collections. */
  bytesPerDashboard: number;
  /** The JS heap's growth per dashboard (live objects), likewise. */
  heapBytesPerDashboard: number;
}

/** Server memory growth per connected dashboard (one agentUpdated subscription each), on an idle server. */
export async function benchDashboardMemory(count = 1000): Promise<DashboardMemory> {
  const probe = heapProbe('dashboards');
  // One API token stands for `count` dashboards here, so lift the per-user WebSocket cap.
  const server = await startBenchServer(
    'dashboards',
    { FLOTILLA_WS_MAX_CONNECTIONS_PER_USER: String(count), ...probe.env },
    1,
  );
  const clients: Client[] = [];
  try {
    await sleep(2000);
    const before = await probe.read(server.pid);
    let acknowledged = 0;
    for (let i = 0; i < count; i++) {
      const client = dashboard(server.baseUrl, server.apiToken);
      client.on('connected', () => void acknowledged++);
      client.subscribe(
        { query: SUBSCRIPTION },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
      clients.push(client);
      if (i % 100 === 99) await sleep(200);
    }
    const deadline = Date.now() + 30_000;
    while (acknowledged < count && Date.now() < deadline) await sleep(100);
    if (acknowledged < count) throw new Error(`only ${acknowledged} of ${count} dashboards connected`);
    await sleep(2000);
    const after = await probe.read(server.pid);
    const grown = perConnection(before, after, count);
    return { dashboards: count, bytesPerDashboard: grown.rssBytes, heapBytesPerDashboard: grown.heapBytes };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.stop();
    await probe.remove();
  }
}
