/**
 * Diagnostics bundles: what an agent collected for a `collect_diagnostics` action, uploaded
 * through its authenticated route, stored as JSON bytes (one bundle per action; a re-upload after a
 * lost answer replaces it), listed on the agent page and readable by editors and admins only
 * (bundles hold hostnames, paths and logs). Before storing, every value of a secret the agent's
 * group can resolve (its own and the fleet-wide ones) is replaced by its `SECRET[name]` reference,
 * on top of the agent's own key-based redaction. Retention prunes old bundles (retention.ts).
 */
import type { FleetContext } from './context.ts';
import type { AgentDiagnostics } from '../generated/prisma/client.ts';
import { MAX_DIAGNOSTICS_BYTES, type DiagnosticsBundle } from '../protocol/actions.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { inTransaction } from './transaction.ts';
import { activeActionOf } from './action-delivery.ts';
import { FLEET_SCOPE } from './secrets.ts';
import { open } from './secret-crypto.ts';
import { secretReference } from './secret-refs.ts';

/** A bundle as lists show it: everything but the content. */
export type DiagnosticsInfo = Omit<AgentDiagnostics, 'content'>;

/** Shortest secret value that is replaced in a bundle (shorter ones would mangle ordinary text). */
const MIN_REDACTED_LENGTH = 4;

/**
 * Store the bundle agent `agent` uploaded for its action `actionId` (pending or running
 * collect_diagnostics), with secret values replaced by their references. At most
 * MAX_DIAGNOSTICS_BYTES of JSON are stored. Fails with action_not_found, action_not_active or
 * validation_failed (too large after redaction); nothing is written then.
 */
export async function storeDiagnostics(
  ctx: FleetContext,
  agent: { id: string; groupId: string },
  actionId: string,
  bundle: DiagnosticsBundle,
): Promise<DiagnosticsInfo> {
  await activeActionOf(ctx.db, agent.id, actionId, 'collect_diagnostics');
  const text = await redactSecretValues(ctx, agent.groupId, JSON.stringify(bundle));
  const content = Buffer.from(text, 'utf8');
  if (content.length > MAX_DIAGNOSTICS_BYTES)
    throw new FleetError(FleetErrorCode.validationFailed, `bundle is over ${MAX_DIAGNOSTICS_BYTES} bytes`);
  return inTransaction(ctx, async (tx) => {
    await activeActionOf(tx, agent.id, actionId, 'collect_diagnostics');
    const data = { agentId: agent.id, sizeBytes: content.length, content, createdAt: ctx.clock() };
    const stored = await tx.agentDiagnostics.upsert({
      where: { actionId },
      create: { ...data, actionId },
      update: data,
      omit: { content: true },
    });
    return stored;
  });
}

/** Replace each resolvable secret value of `groupId` found in `text` by its reference. */
async function redactSecretValues(ctx: FleetContext, groupId: string, text: string): Promise<string> {
  const keyring = ctx.settings.secretKeys;
  if (!keyring) return text;
  const rows = await ctx.db.secret.findMany({ where: { scope: { in: [groupId, FLEET_SCOPE] } } });
  let out = text;
  for (const row of rows) {
    let value: string;
    try {
      value = open(keyring, row.scope, row.name, row);
    } catch {
      continue;
    }
    if (value.length < MIN_REDACTED_LENGTH) continue;
    // The bundle is JSON text: the value appears there JSON-escaped.
    const escaped = JSON.stringify(value).slice(1, -1);
    out = out.split(escaped).join(secretReference(row.name));
  }
  return out;
}

/** The newest bundles of one agent (at most `take`), without their content. */
export function listDiagnostics(ctx: FleetContext, agentId: string, take = 20): Promise<DiagnosticsInfo[]> {
  return ctx.db.agentDiagnostics.findMany({
    where: { agentId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take,
    omit: { content: true },
  });
}

/** The JSON text of bundle `id`, or null when there is none. Callers check the role first. */
export async function diagnosticsContent(ctx: FleetContext, id: string): Promise<string | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const row = await ctx.db.agentDiagnostics.findUnique({ where: { id }, select: { content: true } });
  return row ? Buffer.from(row.content).toString('utf8') : null;
}
