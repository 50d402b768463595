/**
 * Action payloads as operators queue them, checked per type (completePayload), and as operators, the
 * audit log and GraphQL see them (auditPayload).
 */
import type { z } from 'zod';
import type { FleetContext, Tx } from './context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { UpgradeAgentPayload, ValidateConfigPayload, type ActionType } from '../protocol/actions.ts';
import { FleetError, FleetErrorCode, validationError } from './errors.ts';

/**
 * An action's payload as operators, the audit log and GraphQL see it: a stored candidate config
 * (validate_config of a draft) is replaced by its size, so the rendered YAML is shown nowhere but
 * to the agent that validates it.
 */
export function auditPayload(payload: Prisma.JsonValue): Record<string, unknown> {
  const object = (payload ?? {}) as Record<string, unknown>;
  if (typeof object.yaml !== 'string') return object;
  const { yaml, ...rest } = object;
  return { ...rest, yamlBytes: Buffer.byteLength(yaml) };
}

/**
 * Fails with version_not_found unless `version` is published for the group and platform of every
 * agent of `agents` (a validate_config target).
 */
export async function assertVersionsExist(
  tx: Tx,
  agents: { groupId: string; platform: string }[],
  version: number,
): Promise<void> {
  const wanted = new Set(agents.map((a) => `${a.groupId}/${a.platform}`));
  const found = await tx.renderedConfig.findMany({
    where: { version, groupId: { in: [...new Set(agents.map((a) => a.groupId))] } },
    select: { groupId: true, platform: true },
  });
  const have = new Set(found.map((r) => `${r.groupId}/${r.platform}`));
  const missing = [...wanted].filter((key) => !have.has(key));
  if (missing.length > 0)
    throw new FleetError(
      FleetErrorCode.versionNotFound,
      `version ${version} is not published in the group of every target agent`,
      [{ path: 'payload.version', message: `no version ${version} for ${missing.length} target(s)` }],
    );
}

/**
 * The payload stored for an action of `type`: upgrade_agent gets its release's sha256 (fails with
 * release_not_found), validate_config is `{ version }`, the others take none (`{}`). Fails with
 * validation_failed on a malformed payload.
 */
export async function completePayload(
  ctx: FleetContext,
  type: ActionType,
  payload: unknown,
): Promise<Prisma.InputJsonObject> {
  if (type === 'restart_vector' || type === 'collect_diagnostics') return {};
  if (type === 'validate_config') return parsePayload(ValidateConfigPayload, payload);
  const { targetVersion } = parsePayload(UpgradeAgentPayload, payload);
  const release = await ctx.db.agentRelease.findUnique({
    where: { version: targetVersion },
    select: { sha256: true },
  });
  if (!release) {
    throw new FleetError(
      FleetErrorCode.releaseNotFound,
      `no agent release ${targetVersion} on this server (${type})`,
      [{ path: 'payload.targetVersion', message: `unknown release ${targetVersion}` }],
    );
  }
  return { targetVersion, sha256: release.sha256 };
}

function parsePayload<T extends z.ZodType>(schema: T, payload: unknown): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw validationError(
      parsed.error.issues.map((i) => ({ path: ['payload', ...i.path].join('.'), message: i.message })),
    );
  }
  return parsed.data;
}
