/**
 * The audit log (admin): who changed what, newest first, with before/after snapshots.
 */
import { AUDIT_EXPORT_MAX_ROWS, auditWhere, type AuditTarget } from '../../fleet/audit.ts';
import { exportAudit } from '../../fleet/audit-export.ts';
import { auditTargetKey, auditTargetNames, type AuditTargetName } from '../../fleet/audit-targets.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';

const loaders = new WeakMap<GraphQLContext, (target: AuditTarget) => Promise<AuditTargetName | undefined>>();

/** The name of an event's target, looked up together with the other events of the operation. */
function targetName(ctx: GraphQLContext, target: AuditTarget): Promise<AuditTargetName | undefined> {
  let load = loaders.get(ctx);
  if (!load) {
    let batch: { targets: AuditTarget[]; names: Promise<Map<string, AuditTargetName>> } | null = null;
    load = (t) => {
      if (!batch) {
        const targets: AuditTarget[] = [];
        const names = Promise.resolve().then(() => {
          batch = null;
          return auditTargetNames(ctx.fleet.db, targets);
        });
        batch = { targets, names };
      }
      batch.targets.push(t);
      return batch.names.then((m) => m.get(auditTargetKey(t)));
    };
    loaders.set(ctx, load);
  }
  return load(target);
}

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
    targetType: t.exposeString('targetType', {
      description: 'agent, group, user, api_token, enrolment_token, action or bulk.',
    }),
    targetId: t.exposeString('targetId', { nullable: true }),
    targetName: t.string({
      nullable: true,
      description:
        "The target's current display name: an agent's hostname, a group's name, a user's email, an " +
        "API token's name, an enrolment token's prefix, an action's type and agent. Null when the " +
        'target no longer exists or has no name.',
      resolve: async (e, _args, ctx) => (await targetName(ctx, { type: e.targetType, id: e.targetId }))?.name,
    }),
    targetSlug: t.string({
      nullable: true,
      description: "A group target's current slug (its page's address); null for other targets.",
      resolve: async (e, _args, ctx) => (await targetName(ctx, { type: e.targetType, id: e.targetId }))?.slug,
    }),
    before: t.expose('before', { type: 'JSON', nullable: true }),
    after: t.expose('after', { type: 'JSON', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    actions: t.stringList({ description: 'Only these actions; naming a session action shows it.' }),
    targetType: t.string(),
    targetId: t.string(),
    actorId: t.string(),
    since: t.field({ type: 'DateTime' }),
    includeSessions: t.boolean({
      defaultValue: false,
      description: 'Show sign-ins and sign-outs (session.* actions), hidden by default.',
    }),
  }),
});

const AuditExportFormat = builder.enumType('AuditExportFormat', { values: ['JSON', 'CSV'] as const });

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

builder.queryField('auditExport', (t) =>
  t.string({
    authScopes: { admin: true },
    description:
      `The audit events matching \`filter\` as a file's content, newest first: a JSON array or a CSV ` +
      `file with a header line (absolute UTC times, the target's current name, before/after as JSON). ` +
      `At most ${AUDIT_EXPORT_MAX_ROWS} events: narrow the filter (e.g. \`since\`) for older ones.`,
    args: {
      filter: t.arg({ type: AuditEventFilter }),
      format: t.arg({ type: AuditExportFormat, required: true }),
    },
    resolve: (_root, args, ctx) =>
      exportAudit(ctx.fleet.db, args.filter, args.format === 'CSV' ? 'csv' : 'json'),
  }),
);
