/**
 * When a bulk action needs a typed confirmation: destructive ones (revoke, move) over more than
 * TYPED_CONFIRM_ABOVE agents ask the user to type the number of agents, so "all matching" over a
 * wider filter than intended cannot go through with one click.
 */

/** Destructive bulk actions on more agents than this ask for the count to be typed. */
export const TYPED_CONFIRM_ABOVE = 10;

/** The bulk actions that change or end what agents do with no undo button. */
const DESTRUCTIVE = new Set(['move', 'revoke']);

/** The text the user must type to confirm (the agent count), or null when a click is enough. */
export function typedConfirmation(mode: string | null, count: number): string | null {
  return mode && DESTRUCTIVE.has(mode) && count > TYPED_CONFIRM_ABOVE ? String(count) : null;
}

/** Whether `typed` confirms `expected` (spaces and thousands separators ignored). */
export function confirms(typed: string, expected: string | null): boolean {
  return expected === null || typed.replace(/[\s,.'_]/g, '') === expected;
}
