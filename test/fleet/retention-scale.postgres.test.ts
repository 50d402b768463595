/**
 * Retention at scale on PostgreSQL: 1,000,000 expired audit events are pruned in batches of
 * PRUNE_BATCH_ROWS while another connection keeps writing audit events; the writer is never held
 * behind the pruning for longer than one batch. The figures are printed (`[retention] …`) for the
 * README; the assertions check the batching and that nothing recent went, not timings.
 */
import { setTimeout as pause } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNE_BATCH_ROWS, pruneExpired } from '../../api/fleet/retention.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

const ROWS = 1_000_000;
/**
 * The live writer's pace: with a 2 ms gap about seven writes still fall inside every pruning batch
 * (1,498 writes beside 205 batches in 4.3 s, measured), so a batch that held the writer back would
 * show, without a busy loop's CPU (the file took 2.8 s less CPU).
 */
const WRITE_GAP_MS = 2;
const NOW = new Date('2026-12-06T12:00:00Z');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
  await server.ctx.db.$executeRaw`
    INSERT INTO audit_events (id, actor_type, actor_label, action, target_type, created_at)
    SELECT gen_random_uuid(), 'system', 'seed', 'test.event', 'agent',
           ${NOW}::timestamptz - interval '400 days' - (n || ' seconds')::interval
    FROM generate_series(1, ${ROWS}) AS n`;
}, 240_000);
afterAll(() => server.close());

describe('retention at scale', () => {
  it(`prunes ${ROWS.toLocaleString('en-US')} audit events in bounded batches beside a live writer`, async () => {
    const url = server.testDb.config.kind === 'postgres' ? server.testDb.config.url : '';
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    let writes = 0;
    let longestWriteMs = 0;
    let pruning = true;
    const writing = (async () => {
      while (pruning) {
        const started = performance.now();
        await writer.query(
          "INSERT INTO audit_events (id, actor_type, actor_label, action, target_type, created_at) VALUES (gen_random_uuid(), 'user', 'live', 'live.event', 'agent', now())",
        );
        longestWriteMs = Math.max(longestWriteMs, performance.now() - started);
        writes += 1;
        await pause(WRITE_GAP_MS);
      }
    })();
    const started = performance.now();
    const report = await pruneExpired(
      server.ctx,
      { actionsDays: 90, auditDays: 365, revokedAgentsDays: 30, diagnosticsDays: 14 },
      NOW,
    );
    const totalMs = performance.now() - started;
    pruning = false;
    await writing;
    await writer.end();

    process.stdout.write(
      `[retention] rows=${ROWS} totalMs=${Math.round(totalMs)} batches=${report.batches} ` +
        `longestBatchMs=${Math.round(report.longestBatchMs)} concurrentWrites=${writes} ` +
        `longestWriteMs=${Math.round(longestWriteMs)}\n`,
    );
    expect(report.auditEvents).toBe(ROWS);
    // One statement per full batch, one short one to find the end, one per other kind (actions,
    // revoked agents, sessions, diagnostics).
    expect(report.batches).toBe(Math.floor(ROWS / PRUNE_BATCH_ROWS) + 1 + 4);
    expect(writes).toBeGreaterThan(0);
    expect(await server.ctx.db.auditEvent.count({ where: { action: 'live.event' } })).toBe(writes);
  }, 240_000);
});
