/**
 * The fuzz suites' assertion waits for the run fast-check abandons at its time limit, so a request
 * still in flight cannot write after the next test took its "before" snapshot of the database.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertFuzz } from './arbitraries.ts';

/** Resolves when `settle` is called: a run that lasts exactly as long as the test wants. */
function gate(): { promise: Promise<void>; settle: () => void } {
  let settle = () => {};
  const promise = new Promise<void>((resolve) => (settle = resolve));
  return { promise, settle };
}

describe('assertFuzz', () => {
  it('returns only after the run in progress at the time limit has finished', async () => {
    const release = gate();
    const started = gate();
    let runs = 0;
    let finished = 0;
    // The first run passes at once (fast-check fails a property interrupted before any success).
    const property = fc.asyncProperty(fc.nat(), async () => {
      if (++runs === 1) return;
      started.settle();
      await release.promise;
      finished++;
    });
    const t0 = Date.now();
    let finishedOnReturn: number | undefined;
    const assertion = assertFuzz(property, 10, 50).then(() => (finishedOnReturn = finished));
    await started.promise;
    // Well past the 50 ms limit, fast-check has given up on the waiting run; assertFuzz has not.
    await expect.poll(() => Date.now() - t0, { timeout: 5_000 }).toBeGreaterThan(300);
    expect(finishedOnReturn).toBeUndefined();
    release.settle();
    await assertion;
    expect(finishedOnReturn).toBe(1);
  });

  it('reports a failing property with its seed', async () => {
    const property = fc.asyncProperty(fc.nat(), async (n) => {
      expect(n).toBeLessThan(0);
    });
    await expect(assertFuzz(property, 10, 5_000)).rejects.toThrow(/seed/);
  });
});
