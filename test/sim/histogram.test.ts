/** The simulator's latency histogram: percentiles within 1.5 % of the values, add and subtract. */
import { describe, expect, it } from 'vitest';
import { combine, emptyHistogram, exactPercentiles, percentiles, record } from '../../agent/sim/histogram.ts';

describe('histogram', () => {
  it('reports percentiles within 3 % of the recorded values', () => {
    const h = emptyHistogram();
    for (let ms = 1; ms <= 1000; ms++) record(h, ms);
    const p = percentiles(h);
    expect(p.count).toBe(1000);
    expect(Math.abs(p.p50 - 500)).toBeLessThan(500 * 0.015);
    expect(Math.abs(p.p99 - 990)).toBeLessThan(990 * 0.015);
    expect(Math.abs(p.max - 1000)).toBeLessThan(1000 * 0.015);
  });

  it('adds and subtracts bucket by bucket', () => {
    const a = emptyHistogram();
    const b = emptyHistogram();
    record(a, 5);
    record(b, 5);
    record(b, 500);
    expect(percentiles(combine(a, b)).count).toBe(3);
    const rest = percentiles(combine(b, a, -1));
    expect(rest.count).toBe(1);
    expect(Math.abs(rest.p50 - 500)).toBeLessThan(500 * 0.015);
  });

  it('is empty and all zeros with nothing recorded; tiny and huge values are clamped', () => {
    expect(percentiles(emptyHistogram())).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    const h = emptyHistogram();
    record(h, 0);
    record(h, 1e9);
    expect(percentiles(h).count).toBe(2);
  });

  it('gives exact percentiles of a list', () => {
    expect(exactPercentiles([3, 1, 2, 4])).toEqual({ count: 4, p50: 2, p90: 4, p99: 4, max: 4 });
    expect(exactPercentiles([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});
