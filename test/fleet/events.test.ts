/** Fleet domain: events are published after commit, never for a rolled-back change, and cross replicas via Redis. */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { applyPipeline } from '../../api/fleet/pipeline/code.ts';
import { createRedisBus, type FleetEvents } from '../../api/fleet/events.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { uniqueSlug, waitFor } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('events', () => {
  it('publishes configPublished and groupUpdated only after the change commits', async () => {
    const seen: FleetEvents['configPublished'][] = [];
    const off = server.events.subscribe('configPublished', (e) => seen.push(e));
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug(), name: 'Events' });
    // A source without a sink: refused by the checks, inside the transaction.
    const yaml =
      'components:\n  - { id: sys, kind: source, type: syslog, options: { mode: udp, address: "0.0.0.0:514" } }\n';
    const failed = await applyPipeline(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      yaml,
      message: 'm',
    }).catch((e: unknown) => e);
    off();
    expect(failed).toBeInstanceOf(Error);
    expect(seen).toEqual([{ groupId: group.id, version: 1 }]);
    const audit = await server.ctx.db.auditEvent.count({
      where: { action: 'pipeline.apply', targetId: group.id },
    });
    expect(audit).toBe(0);
  });

  it('carries events between two buses through Redis pub/sub', async () => {
    const prefix = `flotilla-test-${crypto.randomUUID()}`;
    const a = createRedisBus(REDIS_URL, prefix);
    const b = createRedisBus(REDIS_URL, prefix);
    try {
      await Promise.all([a.ready(), b.ready()]);
      const received: string[] = [];
      b.subscribe('agentUpdated', (e) => received.push(e.agentId));
      a.publish('agentUpdated', { agentId: 'agent-1', groupId: 'g', change: 'heartbeat' });
      await waitFor(() => received.includes('agent-1'));
      expect(received).toEqual(['agent-1']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
