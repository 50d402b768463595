/**
 * A fix-up for the `query` Pothos passes to a prismaField that the errors plugin wraps: when the
 * client selects nothing of the payload (only `__typename`), it is `{ select: {} }`, which Prisma
 * refuses. Mutations spread `selected(query)` instead.
 */

/** `query` itself, or with `id` selected when its select is empty. Never fails. */
export function selected<Q extends object>(query: Q): Q {
  const select = (query as { select?: Record<string, unknown> }).select;
  return select && Object.keys(select).length === 0 ? { ...query, select: { id: true } } : query;
}
