/**
 * What the replica benchmark (replicas.ts) watches from the moment a replica is killed: leases
 * changing holder, every agent heard from again as the database records it, dashboards dropping
 * and resuming, and the requests the simulated agents saw fail.
 */
import type { Client } from 'graphql-ws';
import type { FleetSnapshot } from '../../agent/sim/report.ts';
import { addTotals } from '../../agent/sim/requests.ts';
import { waitFor } from '../helpers/factories.ts';
import type { ReplicaSet } from '../helpers/replicas.ts';

/** Per lease: ms from the kill until another holder held it. */
export async function leaseTakeover(
  set: ReplicaSet,
  killed: Record<string, string>,
  ttlMs: number,
  killedAt: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const names = Object.keys(killed);
  await waitFor(
    async () => {
      const now = await set.holders(names, ttlMs);
      for (const name of names)
        if (out[name] === undefined && now[name] !== undefined && now[name] !== killed[name])
          out[name] = Date.now() - killedAt;
      return names.every((name) => out[name] !== undefined);
    },
    10 * ttlMs,
    100,
  );
  return out;
}

/** ms from the kill until every agent of the group has a heartbeat recorded after it. */
export async function allHeardFrom(set: ReplicaSet, agents: number, killedAt: number): Promise<number> {
  await waitFor(
    async () => {
      const { rows } = await set.sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM agents WHERE group_id = $1 AND last_heartbeat_at > $2',
        [set.groupId, new Date(killedAt)],
      );
      return rows[0].n >= agents;
    },
    300_000,
    250,
  );
  return Date.now() - killedAt;
}

/** A dashboard: one graphql-ws client with an `agentUpdated` subscription for the group, through the proxy. */
export interface Dashboard {
  client: Client;
  /** When it was closed and connected again, and when updates arrived. */
  closed: number[];
  connected: number[];
  updates: number[];
}

/** Open one dashboard; it records its connections, closes and updates. */
function openDashboard(set: ReplicaSet): Dashboard {
  const d: Dashboard = { closed: [], connected: [], updates: [], client: undefined as unknown as Client };
  d.client = set.dashboard({
    connected: () => void d.connected.push(Date.now()),
    closed: () => void d.closed.push(Date.now()),
  });
  d.client.subscribe(
    {
      query: 'subscription($g: ID) { agentUpdated(groupId: $g) { agents { id } } }',
      variables: { g: set.groupId },
    },
    { next: () => void d.updates.push(Date.now()), error: () => undefined, complete: () => undefined },
  );
  return d;
}

/**
 * Open `count` dashboards, and more (up to four times as many) while `onDoomed()`, the sockets
 * the replica to be killed holds, is still 0: nginx picks the replica. Resolves once each has had
 * an update.
 */
export async function openDashboards(
  set: ReplicaSet,
  count: number,
  onDoomed: () => Promise<number>,
): Promise<Dashboard[]> {
  const dashboards = Array.from({ length: count }, () => openDashboard(set));
  const updated = () => waitFor(() => dashboards.every((d) => d.updates.length > 0), 60_000, 100);
  await updated();
  while ((await onDoomed()) === 0 && dashboards.length < 4 * count) {
    dashboards.push(openDashboard(set));
    await updated();
  }
  return dashboards;
}

export interface DashboardFigures {
  dashboards: number;
  /** Dashboards whose socket the kill closed (they were on the killed replica), and of them those that resumed. */
  dropped: number;
  resumed: number;
  /** Over the resumed ones, the slowest: kill → connected again, and kill → its first update after that. */
  reconnectedMs: number | null;
  firstUpdateMs: number | null;
}

/**
 * Waits until `onKilled` dashboards (those the killed replica held) were dropped and each had an
 * update after reconnecting; their figures.
 */
export async function dashboardsResumed(
  dashboards: Dashboard[],
  onKilled: number,
  killedAt: number,
): Promise<DashboardFigures> {
  const after = (times: number[], since: number) => times.find((t) => t > since);
  const dropped = () => dashboards.filter((d) => after(d.closed, killedAt) !== undefined);
  const resumed = (d: Dashboard) => {
    const connected = after(d.connected, after(d.closed, killedAt) as number);
    return connected === undefined ? undefined : after(d.updates, connected);
  };
  // Not resuming within two minutes is a figure too (resumed < dropped), not a failed run.
  await waitFor(
    () => dropped().length >= onKilled && dropped().every((d) => resumed(d) !== undefined),
    120_000,
    50,
  ).catch(() => undefined);
  const gone = dropped().filter((d) => resumed(d) !== undefined);
  const slowest = (pick: (d: Dashboard) => number) =>
    gone.length === 0 ? null : Math.max(...gone.map((d) => pick(d) - killedAt));
  return {
    dashboards: dashboards.length,
    dropped: dropped().length,
    resumed: gone.length,
    reconnectedMs: slowest((d) => after(d.connected, after(d.closed, killedAt) as number) as number),
    firstUpdateMs: slowest((d) => resumed(d) as number),
  };
}

/** Statuses that are no failure: answers the agent expected (2xx, 304) and requests the sim itself cancelled. */
const FINE = /^(2\d\d|304|cancelled)$/;

/** The requests the agents saw fail between two snapshots (5xx, 4xx, network errors, timeouts), by `route status`. */
export function failedBetween(
  from: FleetSnapshot,
  to: FleetSnapshot,
): { total: number; byRoute: Record<string, number>; heartbeatsFailed: number } {
  const interval = addTotals(to.requests, from.requests, -1);
  const byRoute: Record<string, number> = {};
  for (const [route, statuses] of Object.entries(interval.byStatus))
    for (const [status, n] of Object.entries(statuses))
      if (n > 0 && !FINE.test(status)) byRoute[`${route} ${status}`] = n;
  return {
    total: Object.values(byRoute).reduce((a, b) => a + b, 0),
    byRoute,
    heartbeatsFailed: to.heartbeats.failed - from.heartbeats.failed,
  };
}
