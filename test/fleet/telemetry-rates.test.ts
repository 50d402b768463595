/**
 * The counter rules (api/fleet/telemetry/rates.ts): increases and rates between two samples,
 * counter resets (a Vector restart: totals lower than before, or a lower uptime), missing samples
 * (a gap longer than MAX_SAMPLE_GAP_MS is a fresh baseline), components appearing, and the
 * 5-minute history bucket closing when a sample opens the next one.
 */
import { describe, expect, it } from 'vitest';
import type { ComponentTelemetry, Telemetry } from '../../api/protocol/telemetry.ts';
import {
  BUCKET_MS,
  MAX_SAMPLE_GAP_MS,
  advanceSample,
  counterIncrease,
  isNewer,
  type PreviousSample,
  type SampleOutcome,
} from '../../api/fleet/telemetry/rates.ts';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function component(
  id: string,
  kind: ComponentTelemetry['kind'],
  n: number,
  extra: Partial<ComponentTelemetry> = {},
): ComponentTelemetry {
  return {
    id,
    kind,
    type: kind === 'sink' ? 'console' : 'file',
    eventsIn: n,
    eventsOut: n,
    bytesIn: n * 100,
    bytesOut: n * 100,
    errors: 0,
    discarded: 0,
    ...extra,
  };
}

function telemetry(n: number, options: { uptime?: number; errors?: number; net?: number } = {}): Telemetry {
  return {
    vector: { uptimeSeconds: options.uptime ?? 1000 + n, reloads: 0 },
    components: [component('in', 'source', n), component('out', 'sink', n, { errors: options.errors ?? 0 })],
    host: {
      cpuPercent: 20,
      memoryUsedBytes: 500,
      diskUsedBytes: 10,
      diskTotalBytes: 100,
      networkInBytes: options.net ?? n * 10,
      agentCpuSeconds: n / 100,
    },
  };
}

/** The previous sample `outcome` leaves behind, as telemetry_latest would hold it. */
function stored(outcome: SampleOutcome, sampledAt: Date): PreviousSample {
  return {
    sampledAt,
    counters: outcome.counters,
    components: outcome.components,
    bucketStart: outcome.bucketStart,
    bucket: outcome.bucket,
  };
}

function chain(samples: [seconds: number, t: Telemetry][]): SampleOutcome[] {
  let previous: PreviousSample | null = null;
  return samples.map(([seconds, t]) => {
    const outcome = advanceSample(previous, t, at(seconds));
    previous = stored(outcome, at(seconds));
    return outcome;
  });
}

describe('counterIncrease', () => {
  it('is the difference while the counter grows, the new total after a reset or restart', () => {
    expect(counterIncrease(100, 160, false)).toBe(60);
    expect(counterIncrease(100, 100, false)).toBe(0);
    expect(counterIncrease(100, 40, false)).toBe(40);
    expect(counterIncrease(100, 160, true)).toBe(160);
  });
});

describe('advanceSample', () => {
  it('makes the first sample a baseline: no increase, no rate, one sample in the bucket', () => {
    const [first] = chain([[0, telemetry(1000)]]);
    expect(first.increases).toEqual([]);
    expect(first.components.every((c) => c.rates === null)).toBe(true);
    expect(first.rates).toMatchObject({ eventsIn: null, eventsOut: null, networkIn: null });
    expect(first.bucket.samples).toBe(1);
    expect(first.closed).toBeNull();
  });

  it('turns totals into increases and per-second rates (sources count in, sinks count out)', () => {
    const [, second] = chain([
      [0, telemetry(1000)],
      [30, telemetry(1300, { errors: 6 })],
    ]);
    expect(second.increases.find((i) => i.id === 'in')?.counts).toMatchObject({
      eventsIn: 300,
      bytesIn: 30_000,
    });
    expect(second.components.find((c) => c.id === 'out')?.rates).toMatchObject({
      eventsOut: 10,
      errors: 0.2,
    });
    expect(second.rates).toMatchObject({
      eventsIn: 10,
      eventsOut: 10,
      errors: 0.2,
      discarded: 0,
      networkIn: 100,
    });
    expect(second.rates.agentCpuPercent).toBeCloseTo(10);
    expect(second.bucket.totals).toEqual({ eventsIn: 300, eventsOut: 300, errors: 6, discarded: 0 });
  });

  it('counts a counter that went down (Vector restarted) from zero', () => {
    const [, , third] = chain([
      [0, telemetry(1000)],
      [30, telemetry(1300)],
      [60, telemetry(90, { uptime: 5 })],
    ]);
    expect(third.increases.find((i) => i.id === 'in')?.counts.eventsIn).toBe(90);
    expect(third.rates.eventsIn).toBe(3);
  });

  it('treats a lower Vector uptime as a restart even when a total happens to be higher', () => {
    const [, second] = chain([
      [0, telemetry(1000, { uptime: 500 })],
      [30, telemetry(1200, { uptime: 20 })],
    ]);
    expect(second.increases.find((i) => i.id === 'in')?.counts.eventsIn).toBe(1200);
  });

  it('starts a fresh baseline after a gap longer than MAX_SAMPLE_GAP_MS, and rates across shorter gaps', () => {
    const gap = MAX_SAMPLE_GAP_MS / 1000;
    const [, long] = chain([
      [0, telemetry(1000)],
      [gap + 1, telemetry(5000)],
    ]);
    expect(long.increases).toEqual([]);
    expect(long.rates.eventsIn).toBeNull();
    const [, short] = chain([
      [0, telemetry(1000)],
      [gap, telemetry(1000 + gap)],
    ]);
    expect(short.rates.eventsIn).toBe(1);
  });

  it('counts a component that appeared since the previous sample from zero', () => {
    const first = telemetry(1000);
    const second = telemetry(1300);
    second.components!.push(component('new', 'transform', 50));
    const [, outcome] = chain([
      [0, first],
      [30, second],
    ]);
    expect(outcome.increases.find((i) => i.id === 'new')?.counts.eventsOut).toBe(50);
  });

  it('closes the 5-minute bucket when a sample opens the next one, and carries nothing over', () => {
    const step = BUCKET_MS / 1000;
    const outcomes = chain([
      [0, telemetry(0)],
      [60, telemetry(600)],
      [step, telemetry(3000)],
      [step + 30, telemetry(3300)],
    ]);
    const [, , third, fourth] = outcomes;
    expect(third.closed?.start).toEqual(T0);
    expect(third.closed?.bucket).toMatchObject({
      samples: 2,
      totals: { eventsIn: 600 },
      components: { in: { eventsIn: 600 } },
    });
    expect(third.bucket).toMatchObject({ samples: 1, totals: { eventsIn: 2400 } });
    expect(fourth.closed).toBeNull();
    expect(fourth.bucket).toMatchObject({
      samples: 2,
      totals: { eventsIn: 2700 },
      cpuSum: 40,
      cpuSamples: 2,
    });
  });

  it('skips samples that are not newer than the stored one (duplicates, reordering)', () => {
    const outcome = advanceSample(null, telemetry(1), at(10));
    expect(isNewer(stored(outcome, at(10)), at(10))).toBe(false);
    expect(isNewer(stored(outcome, at(10)), at(9))).toBe(false);
    expect(isNewer(stored(outcome, at(10)), at(11))).toBe(true);
    expect(isNewer(null, at(0))).toBe(true);
  });
});
