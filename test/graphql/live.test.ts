/**
 * Coalesced subscription streams (api/graphql/live.ts) on an in-process bus: streams fed by the same
 * events cut the same batch at the same instant, and sharedRead turns their reads into one; one
 * agentsSeen message (a whole heartbeat flush) reaches a stream as every id it names.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../api/fleet/events.ts';
import { liveBatches, sharedRead, source, type LiveBatch } from '../../api/graphql/live.ts';

const streams: AsyncIterableIterator<LiveBatch>[] = [];
afterEach(async () => {
  await Promise.all(streams.splice(0).map((s) => s.return?.()));
});

function stream(bus: ReturnType<typeof createLocalBus>, groupId?: string) {
  const s = liveBatches(
    bus,
    [
      source('agentUpdated', (e) => ({ id: e.agentId, membership: false })),
      source('agentsSeen', (e) => {
        const ids = e.agentIds.filter((_, i) => !groupId || e.groupIds[i] === groupId);
        return ids.length > 0 ? ids.map((id) => ({ id, membership: false })) : null;
      }),
    ],
    { intervalMs: 50, maxBatch: 100 },
  );
  streams.push(s);
  return s;
}

describe('live batches', () => {
  it('cuts the same batch at the same instant for streams fed by the same events, read once', async () => {
    const bus = createLocalBus();
    const [a, b, g] = [stream(bus), stream(bus), stream(bus, 'g2')];
    const next = [a.next(), b.next(), g.next()];
    // The streams subscribe when iterated; let them start before publishing.
    await new Promise((resolve) => setImmediate(resolve));
    bus.publish('agentsSeen', { agentIds: ['x', 'y', 'z'], groupIds: ['g1', 'g2', 'g1'] });
    bus.publish('agentUpdated', { agentId: 'w', groupId: 'g1', change: 'labels' });
    const [first, second, group] = (await Promise.all(next)).map((r) => r.value as LiveBatch);
    expect(first.ids).toEqual(['x', 'y', 'z', 'w']);
    expect(second).toEqual(first);
    expect(group.ids).toEqual(['y', 'w']);
    let reads = 0;
    const read = (batch: LiveBatch) =>
      sharedRead(`test ${batch.at} ${batch.ids.join(',')}`, async () => {
        reads++;
        return batch.ids.length;
      });
    expect(await Promise.all([read(first), read(second), read(group)])).toEqual([4, 4, 2]);
    expect(reads).toBe(2);
  });

  it('never shares a read between batches cut at different times', async () => {
    const bus = createLocalBus();
    const a = stream(bus);
    const firstNext = a.next();
    await new Promise((resolve) => setImmediate(resolve));
    bus.publish('agentUpdated', { agentId: 'x', groupId: 'g', change: 'labels' });
    const first = (await firstNext).value as LiveBatch;
    const secondNext = a.next();
    bus.publish('agentUpdated', { agentId: 'x', groupId: 'g', change: 'labels' });
    const second = (await secondNext).value as LiveBatch;
    expect(second.at).toBeGreaterThan(first.at);
    let reads = 0;
    const read = (batch: LiveBatch) =>
      sharedRead(`again ${batch.at} ${batch.ids.join(',')}`, async () => ++reads);
    await read(first);
    await read(second);
    expect(reads).toBe(2);
  });
});
