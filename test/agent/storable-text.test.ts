/**
 * Text the agent did not write (Vector's output, error messages) passes through toStorableText
 * before it is sent, so the server's bounds (no NUL, no unpaired surrogate, a length cap) never
 * refuse the agent's own heartbeat.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../api/protocol/v1.ts';
import { toStorableText } from '../../api/protocol/storable.ts';

describe('toStorableText', () => {
  it('replaces NUL and unpaired surrogates and never splits a surrogate pair at the cut', () => {
    expect(toStorableText('a\u0000b', 10)).toBe('a\uFFFDb');
    expect(toStorableText('x\uD800y', 10)).toBe('x\uFFFDy');
    expect(toStorableText('ab😀', 3)).toBe('ab');
    expect(toStorableText('ab😀', 4)).toBe('ab😀');
  });

  it('always yields a message the heartbeat schema accepts (property, seeded)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (s, max) => {
          const text = toStorableText(s, max);
          expect(text.length).toBeLessThanOrEqual(max);
          expect(ConfigError.safeParse({ version: 1, message: text }).success).toBe(true);
        },
      ),
      { seed: 20261206, numRuns: 500 },
    );
  });
});
