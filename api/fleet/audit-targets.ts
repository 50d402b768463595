/**
 * The current display names of audit targets: an agent's hostname, a group's name (and slug, for
 * links), a user's email, an API token's name, an enrolment token's prefix, an action's type and
 * agent. Looked up in one query per target type for a whole page of events; a deleted target has
 * no name.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AuditTarget } from './audit.ts';

/** A target's current name, and for groups the slug their page is addressed by. */
export interface AuditTargetName {
  name: string;
  slug?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Lookup = (db: PrismaClient, ids: string[]) => Promise<[string, AuditTargetName][]>;

const LOOKUPS: Record<string, Lookup> = {
  agent: async (db, ids) =>
    (await db.agent.findMany({ where: { id: { in: ids } }, select: { id: true, hostname: true } })).map(
      (a) => [a.id, { name: a.hostname }],
    ),
  group: async (db, ids) =>
    (
      await db.group.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, slug: true } })
    ).map((g) => [g.id, { name: g.name, slug: g.slug }]),
  user: async (db, ids) =>
    (await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } })).map((u) => [
      u.id,
      { name: u.email },
    ]),
  api_token: async (db, ids) =>
    (await db.apiToken.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map(
      (t) => [t.id, { name: t.name }],
    ),
  enrolment_token: async (db, ids) =>
    (
      await db.enrolmentToken.findMany({ where: { id: { in: ids } }, select: { id: true, prefix: true } })
    ).map((t) => [t.id, { name: `${t.prefix}…` }]),
  action: async (db, ids) =>
    (
      await db.action.findMany({
        where: { id: { in: ids } },
        select: { id: true, type: true, agent: { select: { hostname: true } } },
      })
    ).map((a) => [a.id, { name: `${a.type} on ${a.agent.hostname}` }]),
};

const key = (type: string, id: string) => `${type}:${id}`;

/**
 * Look up the current names of `targets` (one query per target type). The map is keyed
 * `type:id`; targets that no longer exist, have no id or have a type without names are absent.
 */
export async function auditTargetNames(
  db: PrismaClient,
  targets: AuditTarget[],
): Promise<Map<string, AuditTargetName>> {
  const idsByType = new Map<string, Set<string>>();
  for (const t of targets) {
    if (!t.id || !LOOKUPS[t.type] || !UUID.test(t.id)) continue;
    const ids = idsByType.get(t.type) ?? new Set<string>();
    ids.add(t.id);
    idsByType.set(t.type, ids);
  }
  const found = await Promise.all(
    [...idsByType].map(async ([type, ids]) =>
      (await LOOKUPS[type](db, [...ids])).map(([id, name]) => [key(type, id), name] as const),
    ),
  );
  return new Map(found.flat());
}

/** The key of `target` in the map auditTargetNames returns. */
export function auditTargetKey(target: AuditTarget): string {
  return key(target.type, target.id ?? '');
}
