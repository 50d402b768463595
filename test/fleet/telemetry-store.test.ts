/**
 * Telemetry storage on both databases: heartbeats with telemetry → the buffered flush → latest
 * values with rates, per-group minute aggregates (each heartbeat counted once, also when two
 * replicas race over the same sample or an agent's heartbeats alternate between replicas across a
 * counter reset), 5-minute agent buckets, and retention by dropping daily partitions (one replica
 * at a time: a held maintenance lock makes the others skip).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentTelemetry, Telemetry } from '../../api/protocol/telemetry.ts';
import { paths } from '../../api/protocol/v1.ts';
import { TelemetryStore, type TelemetrySample } from '../../api/fleet/telemetry/store.ts';
import { TelemetryBuffer } from '../../api/fleet/telemetry/ingest.ts';
import {
  agentHistory,
  componentLiveRates,
  componentWindow,
  latestTelemetry,
  throughput,
  topAgentsByErrors,
} from '../../api/fleet/telemetry/read.ts';
import {
  PARTITION_LOCK_KEY,
  listPartitions,
  maintainPartitions,
} from '../../api/fleet/telemetry/partitions.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { testBackend } from '../helpers/db.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';

const T0 = new Date('2026-12-06T10:00:05Z');
let now = T0;
let server: TestServer;
let groupId: string;
let a: EnrolledTestAgent;
let b: EnrolledTestAgent;

beforeAll(async () => {
  // Timers never fire during a test: only explicit flushes write.
  server = await startTestServer({
    clock: () => now,
    env: {
      FLOTILLA_HEARTBEAT_FLUSH_MS: '60000',
      FLOTILLA_TELEMETRY_FLUSH_MS: '60000',
      FLOTILLA_TELEMETRY_AGENT_RETENTION_DAYS: '2',
    },
  });
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  const token = await mintToken(server.ctx, group.id);
  [a, b] = await Promise.all([enrolOverHttp(server.baseUrl, token), enrolOverHttp(server.baseUrl, token)]);
});
afterAll(() => server.close());

const component = (
  id: string,
  kind: ComponentTelemetry['kind'],
  n: number,
  errors = 0,
  discarded = 0,
): ComponentTelemetry => ({
  id,
  kind,
  type: kind === 'sink' ? 'console' : 'demo_logs',
  eventsIn: n,
  eventsOut: n,
  bytesIn: n * 10,
  bytesOut: n * 10,
  errors,
  discarded,
});

function telemetry(n: number, errors = 0): Telemetry {
  return {
    vector: { uptimeSeconds: 100 + n, reloads: 1 },
    components: [component('demo', 'source', n), component('out', 'sink', n, errors, errors * 2)],
    host: {
      cpuPercent: 12.5,
      memoryUsedBytes: 2_000_000_000,
      memoryAvailableBytes: 6_000_000_000,
      diskUsedBytes: 40,
      diskTotalBytes: 100,
    },
    logs: [{ time: now.toISOString(), level: 'warn', message: `sample ${n}` }],
  };
}

async function heartbeat(agent: EnrolledTestAgent, t: Telemetry): Promise<void> {
  const res = await postJson(
    server.baseUrl + paths.heartbeat(agent.agentId),
    heartbeatBody({ telemetry: t }),
    agent.agentToken,
  );
  expect(res.status).toBe(200);
}

async function at(seconds: number, beats: [EnrolledTestAgent, Telemetry][]): Promise<void> {
  now = new Date(T0.getTime() + seconds * 1000);
  for (const [agent, t] of beats) await heartbeat(agent, t);
  await server.app.telemetry.flush();
}

describe('telemetry storage', () => {
  it('turns heartbeats into latest rates and per-minute group aggregates', async () => {
    await at(0, [
      [a, telemetry(1000)],
      [b, telemetry(5000)],
    ]);
    await at(30, [
      [a, telemetry(1300, 3)],
      [b, telemetry(5600)],
    ]);
    // The minute 10:00 is added to the aggregates by the first flush after it is over.
    expect(await componentWindow(server.ctx, { groupId, since: T0 })).toEqual([]);
    await at(60, []);
    const latest = await latestTelemetry(server.ctx, { groupId });
    const mine = latest.find((l) => l.agentId === a.agentId)!;
    expect(mine).toMatchObject({
      eventsInRate: 10,
      eventsOutRate: 10,
      errorsRate: 0.1,
      discardedRate: 0.2,
      cpuPercent: 12.5,
      diskUsedBytes: 40,
      vectorReloads: 1,
    });
    expect(mine.logs.map((l) => l.message)).toEqual(['sample 1000', 'sample 1300']);
    expect(latest.find((l) => l.agentId === b.agentId)?.eventsInRate).toBe(20);
    const window = await componentWindow(server.ctx, { groupId, since: T0 });
    expect(window.find((c) => c.componentId === 'demo')?.counts).toMatchObject({
      eventsIn: 900,
      bytesIn: 9000,
    });
    expect(window.find((c) => c.componentId === 'out')?.counts).toMatchObject({ errors: 3, discarded: 6 });
    expect(await throughput(server.ctx, groupId, T0)).toEqual([
      { minute: new Date('2026-12-06T10:00:00Z'), eventsIn: 15, eventsOut: 15, errors: 0.05, discarded: 0.1 },
    ]);
    const live = await componentLiveRates(server.ctx, groupId);
    expect(live.find((c) => c.componentId === 'demo')).toMatchObject({
      kind: 'source',
      agents: 2,
      rates: { eventsIn: 30 },
    });
    expect((await topAgentsByErrors(server.ctx, 5)).map((t) => t.agentId)).toEqual([a.agentId]);
  });

  it('counts a sample once when two replicas record it at the same time, and ignores it when it comes again', async () => {
    now = new Date(T0.getTime() + 60_000);
    const sample = { agentId: a.agentId, groupId, at: now, telemetry: telemetry(1900) };
    const [one, two] = [new TelemetryStore(server.ctx), new TelemetryStore(server.ctx)];
    await Promise.all([one.record([sample], T0), two.record([sample], T0)]);
    await one.record([sample], T0);
    await Promise.all([one.minutes.write(server.ctx, null), two.minutes.write(server.ctx, null)]);
    const window = await componentWindow(server.ctx, { groupId, since: now });
    expect(window.find((c) => c.componentId === 'demo')?.counts.eventsIn).toBe(600);
  });

  it('closes 5-minute agent buckets into the history and shows the open one last', async () => {
    await at(300, [[a, telemetry(2500)]]);
    const history = await agentHistory(server.ctx, a.agentId, T0);
    expect(history.map((p) => p.at)).toEqual([
      new Date('2026-12-06T10:00:00Z'),
      new Date('2026-12-06T10:05:00Z'),
    ]);
    expect(history[0]).toMatchObject({ cpuPercent: 12.5, rates: { eventsIn: 900 / 300, errors: 3 / 300 } });
    expect(history[0].components.map((c) => c.id)).toEqual(['demo', 'out']);
  });

  it('counts each heartbeat once when an agent alternates between replicas, across a Vector restart', async () => {
    const [one, two] = [new TelemetryStore(server.ctx), new TelemetryStore(server.ctx)];
    const sampleAt = (seconds: number, t: Telemetry): TelemetrySample => ({
      agentId: b.agentId,
      groupId,
      at: new Date(T0.getTime() + seconds * 1000),
      telemetry: t,
    });
    await one.record([sampleAt(400, telemetry(6000))], T0); // +400 since the sample at 30 s
    await two.record([sampleAt(430, telemetry(6500))], T0); // +500, read from the database
    // Vector restarted: uptime and totals went down, the increase is the new total (200).
    await one.record([sampleAt(460, { ...telemetry(200), vector: { uptimeSeconds: 5, reloads: 1 } })], T0);
    await two.record([sampleAt(490, telemetry(450))], T0); // +250, both replicas' memory was stale
    await Promise.all([one.minutes.write(server.ctx, null), two.minutes.write(server.ctx, null)]);
    const window = await componentWindow(server.ctx, { groupId, since: new Date(T0.getTime() + 400_000) });
    expect(window.find((c) => c.componentId === 'demo')?.counts.eventsIn).toBe(400 + 500 + 200 + 250);
    const [latest] = await latestTelemetry(server.ctx, { agentIds: [b.agentId] });
    expect(latest.eventsInRate).toBeCloseTo(250 / 30);
    expect(latest.components.find((c) => c.id === 'demo')?.totals.eventsIn).toBe(450);
  });

  it('writes a minute once, after the samples received in it that were still buffered', async () => {
    const buffer = server.app.telemetry;
    const since = new Date('2026-12-06T10:09:00Z');
    now = new Date('2026-12-06T10:09:50Z');
    buffer.add({ id: b.agentId, groupId }, telemetry(750), now); // +300 since 450
    const flushing = buffer.flush();
    await new Promise(setImmediate); // the flush took b's sample and is writing it
    now = new Date('2026-12-06T10:09:55Z');
    buffer.add({ id: a.agentId, groupId }, telemetry(2800), now); // +300 since 2500
    now = new Date('2026-12-06T10:10:01Z');
    await flushing;
    // The minute 10:09 is over, but a's sample of it waits for the next flush: not written yet.
    expect(await componentWindow(server.ctx, { groupId, since })).toEqual([]);
    now = new Date('2026-12-06T10:10:05Z');
    await buffer.flush();
    const window = await componentWindow(server.ctx, { groupId, since });
    expect(window.find((c) => c.componentId === 'demo')?.counts.eventsIn).toBe(600);
  });

  it('writes a flush in slices of its own transactions, every sample stored and published', async () => {
    const published: string[] = [];
    const off = server.ctx.events.subscribe('telemetryRecorded', (e) => published.push(...e.agentIds));
    const errors: Error[] = [];
    const sliced = new TelemetryBuffer(server.ctx, server.config.telemetry, (e) => errors.push(e), 1);
    now = new Date('2026-12-06T10:11:00Z');
    sliced.add({ id: a.agentId, groupId }, telemetry(2900), now);
    sliced.add({ id: b.agentId, groupId }, telemetry(800), now);
    await sliced.flush();
    off();
    expect(errors).toEqual([]);
    expect(published.sort()).toEqual([a.agentId, b.agentId].sort());
    const latest = await latestTelemetry(server.ctx, { agentIds: [a.agentId, b.agentId] });
    expect(latest.map((l) => l.sampledAt.toISOString())).toEqual([now.toISOString(), now.toISOString()]);
  });

  it('drops whole days past their retention and creates the days ahead', async () => {
    const later = new Date(T0.getTime() + 3 * 86_400_000);
    const result = await maintainPartitions(server.ctx, later, {
      minuteRetentionDays: 14,
      agentRetentionDays: 2,
    });
    expect(result.ran).toBe(true);
    // The agent buckets keep 2 whole days before today (Dec 9), the minutes 14.
    expect(result.dropped).toContain('telemetry_agent_buckets_p20261206');
    expect(result.dropped).not.toContain('telemetry_agent_buckets_p20261207');
    expect(result.dropped).not.toContain('telemetry_component_minutes_p20261206');
    expect(result.created).toContain('telemetry_component_minutes_p20261211');
    expect(await agentHistory(server.ctx, a.agentId, T0)).toHaveLength(1);
    const days = (await listPartitions(server.ctx.db, 'telemetry_agent_buckets')).map((p) => p.name);
    expect(days[0]).toBe('telemetry_agent_buckets_p20261207');
    expect((await componentWindow(server.ctx, { groupId, since: T0 })).length).toBe(2);
  });

  // PGlite has one connection, so a second session cannot hold the lock meanwhile.
  if (testBackend() === 'postgres')
    it('skips the round while another replica holds the maintenance lock', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const other = server.ctx.db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::bigint)', PARTITION_LOCK_KEY);
        locked();
        await held;
      });
      await isLocked;
      expect(
        await maintainPartitions(server.ctx, now, { minuteRetentionDays: 14, agentRetentionDays: 2 }),
      ).toEqual({ ran: false, created: [], dropped: [] });
      release();
      await other;
    });
});
