/**
 * The host-safety rules every input or output change passes, inside the pipeline change's
 * transaction after the group row is locked: the group's component policy (policy.ts), sensitive
 * options holding only `SECRET[name]` (secret-refs.ts), and every reference resolving (secrets.ts).
 */
import type { Tx } from './context.ts';
import type { Group } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { policyViolation } from './policy.ts';
import { literalCredentialIssues } from './secret-refs.ts';
import { checkSecretReferences } from './secrets.ts';

/**
 * Throw the first rule a component breaks: component_not_allowed or path_not_allowed (the group's
 * policy), secret_required (a literal credential), secret_not_found (a dangling reference). Each
 * error's issues name the fields (`type`, `options.path`, `options.default_token`).
 */
export async function enforceComponentRules(
  tx: Tx,
  group: Group,
  kind: 'source' | 'sink',
  type: string,
  options: unknown,
): Promise<void> {
  const values = (options ?? {}) as Record<string, unknown>;
  const violation = policyViolation(group, kind, type, values);
  if (violation) throw violation;
  const literals = literalCredentialIssues(kind, type, values);
  if (literals.length > 0) {
    throw new FleetError(
      FleetErrorCode.secretRequired,
      `${literals[0].path}: ${literals[0].message}`,
      literals,
    );
  }
  await checkSecretReferences(tx, group.id, values);
}
