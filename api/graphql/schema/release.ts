/**
 * Agent releases the server can hand out: the versions an upgrade_agent action may target.
 */
import { builder } from '../builder.ts';
import { listReleases, type ReleaseSummary } from '../../fleet/releases.ts';

const AgentRelease = builder.objectRef<ReleaseSummary>('AgentRelease').implement({
  fields: (t) => ({
    version: t.exposeString('version'),
    sha256: t.exposeString('sha256'),
    size: t.exposeInt('size', { description: 'Bytes.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('agentReleases', (t) =>
  t.field({
    type: [AgentRelease],
    authScopes: { viewer: true },
    description: 'Registered agent releases, newest first.',
    resolve: (_root, _args, ctx) => listReleases(ctx.fleet),
  }),
);
