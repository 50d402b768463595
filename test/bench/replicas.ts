/**
 * Failover of two replicas behind nginx (`npm run bench -- replicas` on its own, and part of
 * `npm run bench`): the topology of api/deploy/ (test/helpers/replicas.ts) with BENCH_REPLICA_AGENTS
 * simulated agents (default 2,000, one worker process) at the production intervals and DASHBOARDS
 * subscriptions, all through the proxy. A config change goes out (propagation before); a staged
 * rollout starts and soaks while replica 1 is frozen, so replica 0 holds the rollouts, alerts and
 * retention leases; a bulk upgrade starts, and once a third of the agents have their action,
 * replica 0 is killed with SIGKILL. From the kill: each lease's takeover, every agent heard from
 * again, the dashboards resumed, every action done, the requests the agents saw fail; then a second
 * change (propagation after). Action results are counted lost or applied twice by the simulator
 * and in the database. The replicas and nginx run on the server core, this driver and the
 * simulator on the load core (lib.ts, PIN).
 */
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import type { Percentiles } from '../../agent/sim/histogram.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import type { FleetReport } from '../../agent/sim/report.ts';
import { documentYaml } from '../../api/fleet/pipeline/code.ts';
import { DEMO_PIPELINE, waitFor } from '../helpers/factories.ts';
import prepareTestTemplates from '../helpers/global-setup.ts';
import { RELEASE_VERSION, startReplicaSet, type ReplicaSet } from '../helpers/replicas.ts';
import { gqlData } from '../graphql/helpers.ts';
import {
  allHeardFrom,
  dashboardsResumed,
  failedBetween,
  leaseTakeover,
  openDashboards,
  type DashboardFigures,
} from './failover-watch.ts';
import { PIN, pinned, pinning, pinThisProcess } from './lib.ts';

const AGENTS = Number(process.env.BENCH_REPLICA_AGENTS ?? 2000);
const DASHBOARDS = 4;
const LEASES = ['rollouts', 'alerts', 'retention'];
/** Every leased job runs this often here (alerts: 30 s, retention: 1 h by default); a lease lasts three. */
const LEASE_INTERVAL_MS = 5000;
const LEASE_TTL_MS = 3 * LEASE_INTERVAL_MS;
/** The share of the fleet that has received its upgrade action when replica 0 is killed. */
const KILL_AT_SHARE = 1 / 3;
/** For reading replica 0's open WebSockets from its /metrics. */
const METRICS_TOKEN = 'replica-bench-metrics-token';

export interface ChangeFigures {
  version: number;
  /** Change sent → each agent applied it, and → the server acknowledged the heartbeat reporting it. */
  appliedMs: Percentiles;
  reportedMs: Percentiles;
}

export interface ReplicasResult {
  agents: number;
  pinning: string;
  intervals: { heartbeatSeconds: number; longPollSeconds: number; leaseIntervalMs: number };
  enrolSeconds: number;
  propagationBefore: ChangeFigures;
  propagationAfter: ChangeFigures;
  /** Upgrade actions the agents had received when replica 0 was killed. */
  actionsReceivedAtKill: number;
  /** Kill → every agent has a heartbeat recorded after the kill (through the survivor). */
  allHeardFromMs: number;
  /** Kill → every upgrade action finished (done or failed), as the simulator saw it. */
  allActionsDoneMs: number;
  leaseTakeoverMs: Record<string, number>;
  /** With the dashboards replica 0 held when it was killed (read from its /metrics). */
  dashboardResume: DashboardFigures & { onKilledReplica: number };
  /** Requests the agents saw fail from the kill until all were heard from and every action was done. */
  failedRequests: { total: number; byRoute: Record<string, number>; heartbeatsFailed: number };
  actions: {
    simulator: {
      received: number;
      done: number;
      failed: number;
      redelivered: number;
      lost: number;
      duplicated: number;
    };
    /** The bulk's rows by status, agents with more than one row, agents recorded on the new version. */
    database: { byStatus: Record<string, number>; agentsWithTwo: number; upgraded: number };
  };
}

const APPLY = `mutation($input: ApplyPipelineInput!) { applyPipeline(input: $input) {
  __typename ... on Error { message } ... on ApplyPipelinePayload { result { version { version } } } } }`;

/** Wait until (nearly) every agent holds a long-poll again: the fleet is at rest. */
const holding = (fleet: Fleet) =>
  fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) >= AGENTS * 0.99, 180_000);

/** Publish a change through the proxy (a rename) and wait until every agent reported it; resolves its version. */
async function propagate(set: ReplicaSet, fleet: Fleet, name: string): Promise<number> {
  await holding(fleet);
  const at = Date.now();
  const renamed = await set.gql(
    'mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { ... on UpdateGroupPayload { group { configVersion } } } }',
    { input: { id: set.groupId, name } },
  );
  const version = renamed.updateGroup.group.configVersion as number;
  fleet.markChange(version, at);
  await fleet.waitFor((s) => (s.versions[String(version)]?.reported ?? 0) >= AGENTS, 180_000);
  return version;
}

/** Freeze replica 1, publish a staged rollout (stage 1 of 5 agents soaks an hour) through replica 0, and wait until replica 0 holds every lease. */
async function leasesOnReplicaZero(
  set: ReplicaSet,
): Promise<{ holders: Record<string, string>; rolloutId: string }> {
  let rolloutId = '';
  const yaml = documentYaml(DEMO_PIPELINE);
  const holders = await set.leasesTo(0, LEASES, LEASE_TTL_MS, async () => {
    const applied = await gqlData(
      `http://127.0.0.1:${set.servers[0].port}`,
      APPLY,
      {
        input: {
          groupId: set.groupId,
          yaml,
          message: 'staged',
          plan: {
            stages: [{ count: 5 }, { percent: 100 }],
            soakSeconds: 3600,
            gates: { componentErrorRate: null, throughputDropRatio: null },
          },
        },
      },
      { token: set.apiToken },
    );
    const version = applied.applyPipeline.result.version.version as number;
    const { rows } = await set.sql.query<{ id: string }>(
      "SELECT id FROM rollouts WHERE group_id = $1 AND version = $2 AND kind = 'config'",
      [set.groupId, version],
    );
    rolloutId = rows[0].id;
  });
  return { holders, rolloutId };
}

/** Open GraphQL WebSockets on replica `index` (its /metrics, straight to it). */
async function webSockets(set: ReplicaSet, index: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${set.servers[index].port}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  return Number(/^flotilla_websocket_connections (\d+)/m.exec(await res.text())?.[1] ?? 0);
}

/** The bulk's action rows in the database, once the survivor has flushed the agents' versions. */
async function databaseActions(
  set: ReplicaSet,
  bulkId: string,
): Promise<ReplicasResult['actions']['database']> {
  const count = async (query: string, values: unknown[]) =>
    (await set.sql.query<{ n: number }>(query, values)).rows[0].n;
  const { rows } = await set.sql.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM actions WHERE bulk_id = $1 GROUP BY status',
    [bulkId],
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const upgradedCount = () =>
    count('SELECT count(*)::int AS n FROM agents WHERE group_id = $1 AND agent_version = $2', [
      set.groupId,
      RELEASE_VERSION,
    ]);
  // Each agent whose upgrade is done reports the new version in its next heartbeat.
  const upgraded = await waitFor(
    async () => {
      const n = await upgradedCount();
      return n >= (byStatus.done ?? 0) ? n : null;
    },
    60_000,
    250,
  ).catch(upgradedCount);
  const agentsWithTwo = await count(
    'SELECT count(*)::int AS n FROM (SELECT agent_id FROM actions WHERE bulk_id = $1 GROUP BY agent_id HAVING count(*) > 1) x',
    [bulkId],
  );
  return { byStatus, agentsWithTwo, upgraded };
}

function changeFigures(report: FleetReport, version: number): ChangeFigures {
  const v = report.configs.find((c) => c.version === version && c.reference === 'change');
  if (!v) throw new Error(`no propagation figures for version ${version}`);
  return { version, appliedMs: v.propagationMs, reportedMs: v.reportedMs };
}

/** Run the failover benchmark once; rejects when a step does not complete. */
export async function benchReplicas(): Promise<ReplicasResult> {
  process.env.FLOTILLA_TEST_DB = 'postgres';
  await prepareTestTemplates();
  const unpin = pinThisProcess(PIN.load);
  const set = await startReplicaSet({
    slug: 'replicas',
    agents: AGENTS,
    tokens: 4,
    launch: (command, args) => pinned(PIN.server, command, args),
    env: {
      FLOTILLA_ENROL_RATE_LIMIT: '100000000',
      FLOTILLA_ALERT_INTERVAL_SECONDS: String(LEASE_INTERVAL_MS / 1000),
      FLOTILLA_RETENTION_INTERVAL_SECONDS: String(LEASE_INTERVAL_MS / 1000),
      FLOTILLA_ROLLOUT_INTERVAL_MS: String(LEASE_INTERVAL_MS),
      FLOTILLA_METRICS_TOKEN: METRICS_TOKEN,
    },
  });
  try {
    const options = {
      ...defaultOptions(set.proxy, set.enrolTokens, AGENTS),
      processes: 1,
      enrolConcurrency: 20,
    };
    const enrolStarted = Date.now();
    const fleet = await startFleet(options);
    try {
      await fleet.waitFor((s) => s.agents.enrolled + s.agents.enrolFailed >= AGENTS, 600_000);
      const enrolSeconds = Math.round((Date.now() - enrolStarted) / 1000);
      process.stderr.write(`replicas: ${AGENTS} agents enrolled through nginx in ${enrolSeconds} s\n`);
      const before = await propagate(set, fleet, 'Before the kill');
      const { holders: killedHolders, rolloutId } = await leasesOnReplicaZero(set);
      const dashboards = await openDashboards(set, DASHBOARDS, () => webSockets(set, 0));
      const dashboardsOnKilled = await webSockets(set, 0);
      await holding(fleet);

      const bulk = await set.gql(
        'mutation($input: CreateBulkActionInput!) { createBulkAction(input: $input) { ... on CreateBulkActionPayload { bulkId } } }',
        {
          input: {
            type: 'upgrade_agent',
            payload: { targetVersion: RELEASE_VERSION },
            filter: { groupIds: [set.groupId] },
          },
        },
      );
      const bulkId = bulk.createBulkAction.bulkId as string;
      const atKill = await fleet.waitFor((s) => s.actions.received >= AGENTS * KILL_AT_SHARE, 180_000);
      process.kill(set.servers[0].pid, 'SIGKILL');
      const killedAt = Date.now();
      process.stderr.write(`replicas: replica 0 killed with ${atKill.actions.received} actions received\n`);
      const [leaseTakeoverMs, allHeardFromMs, dashboardResume, allActionsDoneMs] = await Promise.all([
        leaseTakeover(set, killedHolders, LEASE_TTL_MS, killedAt),
        allHeardFrom(set, AGENTS, killedAt),
        dashboardsResumed(dashboards, dashboardsOnKilled, killedAt),
        fleet
          .waitFor((s) => s.actions.done + s.actions.failed >= AGENTS, 300_000)
          .then(() => Date.now() - killedAt),
      ]);
      const failedRequests = failedBetween(atKill, fleet.snapshot());
      process.stderr.write(`replicas: all heard from ${allHeardFromMs} ms after the kill\n`);

      const aborted = await set.gql(
        'mutation($input: AbortRolloutInput!) { abortRollout(input: $input) { ... on AbortRolloutPayload { rollout { state } } ... on Error { message } } }',
        { input: { rolloutId } },
      );
      if (aborted.abortRollout.rollout?.state !== 'cancelled')
        throw new Error(`abortRollout: ${JSON.stringify(aborted.abortRollout)}`);
      const after = await propagate(set, fleet, 'After the kill');
      await Promise.all(dashboards.map((d) => d.client.dispose()));
      const report = await fleet.stop();
      const { received, done, failed, redelivered, lost, duplicated } = report.actions;
      return {
        agents: AGENTS,
        pinning:
          pinning === 'none'
            ? 'none'
            : `replicas and nginx on core ${PIN.server}, simulator and driver on core ${PIN.load}`,
        intervals: {
          heartbeatSeconds: options.heartbeatIntervalMs / 1000,
          longPollSeconds: options.longPollSeconds,
          leaseIntervalMs: LEASE_INTERVAL_MS,
        },
        enrolSeconds,
        propagationBefore: changeFigures(report, before),
        propagationAfter: changeFigures(report, after),
        actionsReceivedAtKill: atKill.actions.received,
        allHeardFromMs,
        allActionsDoneMs,
        leaseTakeoverMs,
        dashboardResume: { ...dashboardResume, onKilledReplica: dashboardsOnKilled },
        failedRequests,
        actions: {
          simulator: { received, done, failed, redelivered, lost, duplicated },
          database: await databaseActions(set, bulkId),
        },
      };
    } catch (error) {
      // What the agents saw is the first clue to a step that did not complete.
      const { byStatus, errors } = fleet.snapshot().requests;
      throw new Error(`${String(error)}; requests ${JSON.stringify({ byStatus, errors })}`);
    } finally {
      await fleet.stop();
    }
  } finally {
    await set.stop();
    unpin();
  }
}

/** Lines for `npm run bench`'s summary. */
export function replicasLines(r: ReplicasResult): string {
  const p = (c: ChangeFigures) => `p50 ${c.reportedMs.p50} ms, p99 ${c.reportedMs.p99} ms`;
  const leases = Object.entries(r.leaseTakeoverMs)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');
  const d = r.dashboardResume;
  const sim = r.actions.simulator;
  const db = r.actions.database;
  return [
    `two replicas behind nginx (pinning: ${r.pinning}), ${r.agents} agents (heartbeat ${r.intervals.heartbeatSeconds} s, long-poll ${r.intervals.longPollSeconds} s), replica 0 SIGKILLed with ${r.actionsReceivedAtKill} upgrade actions received:`,
    `  every agent heard from again ${(r.allHeardFromMs / 1000).toFixed(1)} s after the kill; every action finished after ${(r.allActionsDoneMs / 1000).toFixed(1)} s`,
    `  requests the agents saw fail: ${r.failedRequests.total} ${JSON.stringify(r.failedRequests.byRoute)}`,
    `  action results: simulator lost ${sim.lost}, duplicated ${sim.duplicated}, redelivered ${sim.redelivered}, done ${sim.done} and failed ${sim.failed} of ${sim.received}; database ${JSON.stringify(db.byStatus)}, agents with two rows ${db.agentsWithTwo}, upgraded ${db.upgraded}`,
    `  dashboards: ${d.dropped} of ${d.dashboards} dropped (${d.onKilledReplica} on the killed replica), ${d.resumed} resumed, connected again after ${d.reconnectedMs ?? '–'} ms, first update after ${d.firstUpdateMs ?? '–'} ms`,
    `  lease takeover (job every ${r.intervals.leaseIntervalMs / 1000} s, lease ${(3 * r.intervals.leaseIntervalMs) / 1000} s): ${leases}`,
    `  propagation as the server sees it: before the kill ${p(r.propagationBefore)}; after ${p(r.propagationAfter)}`,
  ].join('\n');
}
