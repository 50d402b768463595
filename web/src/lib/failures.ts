/** Where failing agents are listed: the failures page, fleet-wide or for one group. */

/** The failures page, for one group when `groupId` is given. */
export function failuresLink(groupId?: string | null): { path: string; query: Record<string, string> } {
  return { path: '/failures', query: groupId ? { group: groupId } : {} };
}
