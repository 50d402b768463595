/** agent/sim/telemetry.ts: what virtual agents send is valid, advances, resets, and fits the budget. */
import { describe, expect, it } from 'vitest';
import { MAX_TELEMETRY_BYTES, parseTelemetry } from '../../api/protocol/telemetry.ts';
import { SIM_PIPELINE, SimTelemetry } from '../../agent/sim/telemetry.ts';

const T0 = Date.parse('2026-12-06T09:00:00Z');

describe('SimTelemetry', () => {
  it('sends ten components the server keeps whole, with counters that advance', () => {
    const sim = new SimTelemetry(3, T0, () => 0.5);
    const first = sim.sample(T0 + 30_000);
    const second = sim.sample(T0 + 60_000);
    expect(parseTelemetry(first)).toEqual({ telemetry: first, rejected: [] });
    expect(first.components).toHaveLength(SIM_PIPELINE.length);
    for (const [i, c] of second.components!.entries()) {
      const before = first.components![i];
      expect(c.eventsIn).toBeGreaterThan(before.eventsIn);
      expect(c.bytesOut).toBeGreaterThanOrEqual(before.bytesOut);
    }
    expect(second.host!.networkOutBytes).toBeGreaterThan(first.host!.networkOutBytes!);
    expect(first.components!.find((c) => c.type === 'filter')!.discarded).toBeGreaterThan(0);
  });

  it('gives one agent in twenty a failing sink with errors and a warning line', () => {
    const quiet = new SimTelemetry(0, T0, () => 0.5).sample(T0 + 60_000);
    const noisy = new SimTelemetry(19, T0, () => 0.5).sample(T0 + 60_000);
    expect(quiet.logs).toBeUndefined();
    expect(quiet.components!.every((c) => c.errors === 0)).toBe(true);
    expect(noisy.components!.find((c) => c.id === 'to_es')!.errors).toBeGreaterThan(0);
    expect(parseTelemetry(noisy).rejected).toEqual([]);
    expect(noisy.logs![0].level).toBe('warn');
  });

  it('restarts Vector now and then: counters and uptime start again from zero', () => {
    let next = 0.5;
    const sim = new SimTelemetry(1, T0, () => next);
    sim.reloaded();
    const before = sim.sample(T0 + 600_000);
    next = 0;
    const after = sim.sample(T0 + 630_000);
    expect(before.vector).toEqual({ uptimeSeconds: 600, reloads: 1 });
    expect(after.vector).toEqual({ uptimeSeconds: 0, reloads: 0 });
    expect(after.components![0].eventsIn).toBe(0);
    expect(sim.vectorStartedAt).toBe(T0 + 630_000);
  });

  it('stays a few KB, far under the budget, after a month of uptime', () => {
    const noisy = new SimTelemetry(19, T0, () => 0.5).sample(T0 + 30 * 86_400_000);
    const bytes = Buffer.byteLength(JSON.stringify(noisy));
    expect(bytes).toBeLessThan(4096);
    expect(bytes).toBeLessThan(MAX_TELEMETRY_BYTES);
  });
});
