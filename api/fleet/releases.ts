/**
 * Agent releases the server hands out for `upgrade_agent`: version, SHA-256 and the bundle itself,
 * stored in the database so every replica can serve every release.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { FleetContext } from './context.ts';
import type { AgentRelease } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { parseInput } from './validate.ts';

/** An agent release version: x.y.z with an optional pre-release or build suffix. */
export const Version = z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'version must be x.y.z');
export const RegisterReleaseInput = z.object({ version: Version, bundle: z.instanceof(Buffer) });

export type ReleaseSummary = Omit<AgentRelease, 'bundle'>;

/**
 * Store a release (idempotent for the same bytes). Fails with conflict when the version exists
 * with other bytes, or validation_failed for a bad version; nothing is written then.
 */
export async function registerRelease(
  ctx: FleetContext,
  input: { version: string; bundle: Buffer },
): Promise<ReleaseSummary> {
  const { version, bundle } = parseInput(RegisterReleaseInput, input);
  const sha256 = crypto.createHash('sha256').update(bundle).digest('hex');
  const existing = await ctx.db.agentRelease.findUnique({
    where: { version },
    select: { version: true, sha256: true, size: true, createdAt: true },
  });
  if (existing) {
    if (existing.sha256 === sha256) return existing;
    throw new FleetError(
      FleetErrorCode.conflict,
      `release ${version} already exists with different contents`,
    );
  }
  return ctx.db.agentRelease.create({
    data: { version, sha256, size: bundle.length, bundle: new Uint8Array(bundle) },
    select: { version: true, sha256: true, size: true, createdAt: true },
  });
}

/** Every release, newest first, without the bundle bytes. */
export async function listReleases(ctx: FleetContext): Promise<ReleaseSummary[]> {
  return ctx.db.agentRelease.findMany({
    select: { version: true, sha256: true, size: true, createdAt: true },
    orderBy: { createdAt: 'desc' },
  });
}

/** One release with its bytes; throws FleetError(release_not_found) when unknown. */
export async function getRelease(ctx: FleetContext, version: string): Promise<AgentRelease> {
  const release = Version.safeParse(version).success
    ? await ctx.db.agentRelease.findUnique({ where: { version } })
    : null;
  if (!release) throw new FleetError(FleetErrorCode.releaseNotFound, `no agent release ${version}`);
  return release;
}
