/**
 * fleetRules: the server's limits and thresholds, read from their single homes (the offline
 * threshold from the fleet settings in effect), so the dashboard (and any client) never keeps a copy
 * of a rule.
 */
import { builder } from '../builder.ts';
import { MAX_BULK_AGENTS } from '../../fleet/queries.ts';
import { AUDIT_EXPORT_MAX_ROWS } from '../../fleet/audit.ts';
import { MAX_PAGE_SIZE } from '../limits.ts';

interface Rules {
  offlineAfterSeconds: number;
  maxPageSize: number;
  maxBulkAgents: number;
  maxAuditExportRows: number;
}

const LIMITS: Omit<Rules, 'offlineAfterSeconds'> = {
  maxPageSize: MAX_PAGE_SIZE,
  maxBulkAgents: MAX_BULK_AGENTS,
  maxAuditExportRows: AUDIT_EXPORT_MAX_ROWS,
};

const FleetRules = builder.objectRef<Rules>('FleetRules').implement({
  description: "The server's rules that clients need to show and page the fleet.",
  fields: (t) => ({
    offlineAfterSeconds: t.exposeInt('offlineAfterSeconds', {
      description:
        'An agent is offline once its last heartbeat is older than this (the fleet setting, as in effect now).',
    }),
    maxPageSize: t.exposeInt('maxPageSize', { description: 'The largest `first` a connection accepts.' }),
    maxBulkAgents: t.exposeInt('maxBulkAgents', {
      description: 'The most agents one bulk request (actions, move, revoke) may target.',
    }),
    maxAuditExportRows: t.exposeInt('maxAuditExportRows', {
      description: 'The most events one audit export holds (the newest of the filter).',
    }),
  }),
});

builder.queryField('fleetRules', (t) =>
  t.field({
    type: FleetRules,
    authScopes: { viewer: true },
    description: 'Thresholds and limits of this server.',
    resolve: (_root, _args, ctx) => ({
      offlineAfterSeconds: ctx.fleet.tuning.current.offlineAfterMs / 1000,
      ...LIMITS,
    }),
  }),
);
