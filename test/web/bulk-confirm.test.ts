/** Typed confirmation for destructive bulk actions over more than a few agents. */
import { describe, expect, it } from 'vitest';
import { confirms, TYPED_CONFIRM_ABOVE, typedConfirmation } from '../../web/src/lib/bulk-confirm.ts';
import { percent } from '../../web/src/lib/format.ts';

describe('bulk confirmation', () => {
  it('asks for the count only for move and revoke above the threshold', () => {
    expect(typedConfirmation('revoke', TYPED_CONFIRM_ABOVE)).toBeNull();
    expect(typedConfirmation('revoke', TYPED_CONFIRM_ABOVE + 1)).toBe(String(TYPED_CONFIRM_ABOVE + 1));
    expect(typedConfirmation('move', 2060)).toBe('2060');
    expect(typedConfirmation('upgrade', 2060)).toBeNull();
    // Rotating tokens cannot lock an agent out (the old token works until the new one is used): a click is enough.
    expect(typedConfirmation('rotate', 2060)).toBeNull();
    expect(typedConfirmation(null, 2060)).toBeNull();
  });

  it('accepts the count with separators, nothing else', () => {
    expect(confirms('2,060', '2060')).toBe(true);
    expect(confirms(' 2060 ', '2060')).toBe(true);
    expect(confirms('206', '2060')).toBe(false);
    expect(confirms('', '2060')).toBe(false);
    expect(confirms('', null)).toBe(true);
  });

  it('shows progress rounded down: 199 of 200 is not done', () => {
    expect(percent(199, 200)).toBe(99);
    expect(percent(200, 200)).toBe(100);
    expect(percent(2, 3)).toBe(66);
  });
});
