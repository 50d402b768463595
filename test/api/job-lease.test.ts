/**
 * The job lease (api/jobs/lease.ts): two apps on one database, their alerts jobs asked to run at
 * the same moment again and again — exactly one runs each time; the other takes over when the
 * holder stops (released at once) or dies (after the lease expires on the injected clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseHolder } from '../../api/fleet/leases.ts';
import { ALERTS_LEASE } from '../../api/jobs/alerts.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

let now = new Date('2026-12-06T10:00:00Z');
let first: TestServer;
let second: TestServer;
// A one-hour interval: the jobs' own timers stay quiet, the rounds below are driven by hand.
const INTERVAL_MS = 3600_000;
const ENV = { FLOTILLA_ALERT_INTERVAL_SECONDS: String(INTERVAL_MS / 1000) };

beforeAll(async () => {
  first = await startTestServer({ clock: () => now, env: ENV });
  second = await startTestServer({ clock: () => now, env: ENV, testDb: first.testDb });
});
afterAll(async () => {
  await second.close();
  await first.close();
});

const jobs = () => [first.app.alerts, second.app.alerts];

describe('a job lease over two apps on one database', () => {
  it('lets exactly one replica run each round, however the rounds interleave', async () => {
    for (let round = 0; round < 5; round++) {
      await Promise.all(jobs().map((j) => j.runOnce()));
      expect(jobs().filter((j) => j.holding())).toHaveLength(1);
      now = new Date(now.getTime() + INTERVAL_MS);
    }
    const holder = jobs().find((j) => j.holding())!;
    expect(await leaseHolder(first.ctx, ALERTS_LEASE)).toBe(holder.holder);
  });

  it('hands over after the lease expires when the holder stops renewing', async () => {
    const [holder, other] = first.app.alerts.holding() ? jobs() : jobs().reverse();
    const lease = await first.ctx.db.jobLease.findUniqueOrThrow({ where: { name: ALERTS_LEASE } });
    now = lease.expiresAt;
    await other.runOnce();
    expect(other.holding()).toBe(false); // the last instant of the lease
    now = new Date(lease.expiresAt.getTime() + 1);
    await other.runOnce();
    expect(other.holding()).toBe(true);
    await holder.runOnce();
    expect(holder.holding()).toBe(false);
  });

  it('hands over at once when the holder stops (shutdown releases the lease)', async () => {
    const [holder, other] = first.app.alerts.holding() ? jobs() : jobs().reverse();
    await holder.stop();
    expect(await leaseHolder(first.ctx, ALERTS_LEASE)).toBeNull();
    await other.runOnce();
    expect(other.holding()).toBe(true);
  });
});
