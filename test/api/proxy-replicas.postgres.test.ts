/**
 * The replica topology of api/deploy/ with real parts: Debian's nginx, configured from
 * api/deploy/nginx.conf, round-robin in front of two server processes on one PostgreSQL and Redis;
 * simulated agents and a dashboard subscription go through the proxy. One replica is killed with
 * SIGKILL while upgrade actions run: the agents carry on through the other, no action result is lost
 * or applied twice, held polls come back through the survivor (a config change still reaches every
 * agent), the subscription resumes, and the alerts and retention (pruning) leases, which the killed
 * replica held, move to the survivor. (The rollouts lease only exists while a rollout runs: its
 * hand-over mid-rollout is rollout-replicas.postgres.test.ts.) nginx's accept queue is the servers'.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { loadConfig } from '../../api/config.ts';
import { acceptQueueLength } from '../helpers/accept-queue.ts';
import { waitFor } from '../helpers/factories.ts';
import { RELEASE_VERSION, startReplicaSet, type ReplicaSet } from '../helpers/replicas.ts';
import type { Loose } from '../graphql/helpers.ts';

const AGENTS = 30;
/** The leased jobs, run every two seconds here, so a lease (three intervals) moves within seconds. */
const LEASES = ['alerts', 'retention'];
const LEASE_INTERVAL_SECONDS = 2;
const LEASE_TTL_MS = 3 * LEASE_INTERVAL_SECONDS * 1000;

let set: ReplicaSet;
/** The holder ids (one per job) replica 0, the one killed, holds the leased jobs with. */
let killedHolders: Record<string, string>;
let fleet: Fleet | undefined;

const holders = () => set.holders(LEASES, LEASE_TTL_MS);

beforeAll(async () => {
  set = await startReplicaSet({
    slug: 'proxied',
    agents: AGENTS,
    env: {
      FLOTILLA_ALERT_INTERVAL_SECONDS: String(LEASE_INTERVAL_SECONDS),
      FLOTILLA_RETENTION_INTERVAL_SECONDS: String(LEASE_INTERVAL_SECONDS),
    },
  });
  killedHolders = await set.leasesTo(0, LEASES, LEASE_TTL_MS);
  fleet = await startFleet({
    ...defaultOptions(set.proxy, set.enrolTokens, AGENTS),
    heartbeatIntervalMs: 500,
    pollIntervalMs: 300,
    longPollSeconds: 5,
    applyDelayMs: 20,
    upgradeDelayMs: 300,
    enrolConcurrency: 10,
  });
}, 180_000);

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await set?.stop();
});

describe('two replicas behind nginx', () => {
  it("queues as many connections on the proxy's port as a server does (the kernel may cap both)", async () => {
    const somaxconn = Number((await fs.readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim());
    const server = loadConfig({}).listenBacklog;
    expect(await acceptQueueLength(new URL(set.proxy).port)).toBe(Math.min(server, somaxconn));
  });

  it('keeps the fleet working through the survivor when one replica is killed mid-run', async () => {
    const running = await fleet!.waitFor((s) => s.agents.enrolled === AGENTS, 30_000);
    expect(running.agents.enrolFailed).toBe(0);

    const client = set.dashboard();
    const updates: number[] = [];
    client.subscribe(
      {
        query: 'subscription($g: ID) { agentUpdated(groupId: $g) { agents { id } } }',
        variables: { g: set.groupId },
      },
      { next: () => void updates.push(Date.now()), error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => updates.length > 0, 20_000, 50);

    const bulk = await set.gql(
      'mutation($input: CreateBulkActionInput!) { createBulkAction(input: $input) { __typename ... on CreateBulkActionPayload { bulkId } } }',
      {
        input: {
          type: 'upgrade_agent',
          payload: { targetVersion: RELEASE_VERSION },
          filter: { groupIds: [set.groupId] },
        },
      },
    );
    expect(bulk.createBulkAction.__typename).toBe('CreateBulkActionPayload');
    // Mid-run: some agents have their action, none has finished it yet (each takes 300 ms).
    await fleet!.waitFor((s) => s.actions.received > 0, 10_000);
    expect(await holders()).toEqual(killedHolders);
    process.kill(set.servers[0].pid, 'SIGKILL');
    const killedAt = Date.now();
    // The survivor takes every lease over once the killed replica's expire (three intervals).
    await waitFor(
      async () => {
        const now = await holders();
        return LEASES.every((name) => now[name] !== undefined && now[name] !== killedHolders[name]);
      },
      20_000,
      100,
    );

    await fleet!.waitFor((s) => s.actions.done === AGENTS, 30_000);
    // The subscription came back through the survivor and hears heartbeats again.
    await waitFor(() => updates.some((t) => t > killedAt + 1000), 20_000, 50);

    // Held polls came back through the survivor: a change made now reaches every agent.
    const renamed = await set.gql(
      'mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { ... on UpdateGroupPayload { group { configVersion } } } }',
      { input: { id: set.groupId, name: 'Proxied again' } },
    );
    const version = String(renamed.updateGroup.group.configVersion);
    await fleet!.waitFor((s) => (s.versions[version]?.applied ?? 0) === AGENTS, 30_000);

    const report = await fleet!.stop();
    await client.dispose();
    // Nothing lost. A result sent again because the answer to the heartbeat that carried it was cut
    // by the kill is refused as already stored (the simulator counts it as `duplicated`): applied
    // once, as the one `done` row per agent below shows.
    expect(report.actions).toMatchObject({ received: AGENTS, done: AGENTS, lost: 0 });
    const actions = await set.gql(
      'query($b: ID!) { actions(filter: { bulkId: $b }, first: 100) { edges { node { status } } } }',
      { b: bulk.createBulkAction.bulkId },
    );
    expect(actions.actions.edges.map((e: Loose) => e.node.status)).toEqual(new Array(AGENTS).fill('done'));
  }, 150_000);
});
