/**
 * Diagnostics bundles agents uploaded for collect_diagnostics actions: the list of one agent's
 * bundles and a bundle's JSON text. Editors and admins only: a bundle holds hostnames, paths, log
 * lines and the running config (secret values redacted), more than a viewer sees elsewhere.
 */
import { builder } from '../builder.ts';
import { isUuid } from '../errors.ts';
import { diagnosticsContent, listDiagnostics, type DiagnosticsInfo } from '../../fleet/diagnostics.ts';

const AgentDiagnostics = builder.objectRef<DiagnosticsInfo>('AgentDiagnostics').implement({
  description:
    'A diagnostics bundle an agent uploaded (collect_diagnostics); download with diagnosticsContent.',
  fields: (t) => ({
    id: t.exposeID('id'),
    actionId: t.exposeID('actionId', { nullable: true, description: 'The action it answered.' }),
    sizeBytes: t.exposeInt('sizeBytes'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  agentDiagnostics: t.field({
    type: [AgentDiagnostics],
    authScopes: { editor: true },
    description: "One agent's newest diagnostics bundles (at most 20), newest first.",
    args: { agentId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      isUuid(args.agentId) ? listDiagnostics(ctx.fleet, args.agentId) : [],
  }),
  diagnosticsContent: t.string({
    nullable: true,
    authScopes: { editor: true },
    description: 'The JSON text of a diagnostics bundle, or null when there is none.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => diagnosticsContent(ctx.fleet, args.id),
  }),
}));
