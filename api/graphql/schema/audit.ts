/**
 * The audit log (admin): who changed what, newest first, with before/after snapshots.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import { builder } from '../builder.ts';

builder.prismaObject('AuditEvent', {
  description: 'One change, written in the same transaction as the change itself.',
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    actorType: t.exposeString('actorType', {
      description: 'user, api_token, agent, system, cli or anonymous.',
    }),
    actorId: t.exposeString('actorId', { nullable: true }),
    actorLabel: t.exposeString('actorLabel'),
    action: t.exposeString('action', { description: 'What happened, e.g. group.create or agent.move.' }),
    targetType: t.exposeString('targetType'),
    targetId: t.exposeString('targetId', { nullable: true }),
    before: t.expose('before', { type: 'JSON', nullable: true }),
    after: t.expose('after', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    actions: t.stringList(),
    targetType: t.string(),
    targetId: t.string(),
    actorId: t.string(),
    since: t.field({ type: 'DateTime' }),
  }),
});

function auditWhere(
  filter: typeof AuditEventFilter.$inferInput | null | undefined,
): Prisma.AuditEventWhereInput {
  return {
    ...(filter?.actions?.length ? { action: { in: filter.actions } } : {}),
    ...(filter?.targetType ? { targetType: filter.targetType } : {}),
    ...(filter?.targetId ? { targetId: filter.targetId } : {}),
    ...(filter?.actorId ? { actorId: filter.actorId } : {}),
    ...(filter?.since ? { createdAt: { gte: filter.since } } : {}),
  };
}

builder.queryField('auditEvents', (t) =>
  t.prismaConnection(
    {
      type: 'AuditEvent',
      cursor: 'id',
      authScopes: { admin: true },
      description: 'Audit events matching `filter`, newest first.',
      args: { filter: t.arg({ type: AuditEventFilter }) },
      resolve: (query, _root, args, ctx) =>
        ctx.fleet.db.auditEvent.findMany({
          ...query,
          where: auditWhere(args.filter),
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      totalCount: (_conn, args, ctx) => ctx.fleet.db.auditEvent.count({ where: auditWhere(args.filter) }),
    },
    { name: 'AuditEventConnection' },
    { name: 'AuditEventEdge' },
  ),
);
