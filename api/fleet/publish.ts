/**
 * Config publication: every change to a group's name, inputs or outputs calls publishGroupConfig in
 * the same transaction. It bumps configVersion, renders the Vector YAML for each platform, checks it
 * with the static rules of `vector validate`, and stores one immutable row per platform.
 */
import type { Tx } from './context.ts';
import type { Emit } from './transaction.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { Platform } from '../protocol/v1.ts';
import { renderGroupConfig, type RenderInput, type RenderOutput } from './vector/render.ts';
import { checkPipeline } from './vector/checks.ts';
import { blockingProblems } from './vector/problems.ts';

/**
 * Render and store version `configVersion + 1` of the group. Throws FleetError(config_invalid)
 * listing each problem when a platform's config would fail validation — the caller's transaction
 * then rolls back, so an invalid config is never published. Returns the new version.
 */
export async function publishGroupConfig(tx: Tx, groupId: string, emit: Emit): Promise<number> {
  const group = await tx.group.update({
    where: { id: groupId },
    data: { configVersion: { increment: 1 } },
    include: { inputs: { orderBy: { name: 'asc' } }, outputs: { orderBy: { name: 'asc' } } },
  });
  const pipeline = {
    inputs: group.inputs.map((i): RenderInput => ({
      ...i,
      options: i.options as Record<string, unknown>,
      platforms: i.platforms,
    })),
    outputs: group.outputs.map((o): RenderOutput => ({
      ...o,
      options: o.options as Record<string, unknown>,
    })),
  };
  for (const platform of Platform.options) {
    const rendered = renderGroupConfig(pipeline, platform);
    if (!rendered.empty) {
      const problems = blockingProblems(checkPipeline(rendered.config));
      if (problems.length > 0) {
        throw new FleetError(
          FleetErrorCode.configInvalid,
          `the ${platform} config would not pass vector validate: ${problems[0].message}`,
          problems.map((p) => ({
            path: p.component ? `${platform}.${p.component}` : platform,
            message: p.message,
          })),
        );
      }
    }
    await tx.renderedConfig.create({
      data: { groupId, version: group.configVersion, platform, yaml: rendered.yaml, etag: rendered.etag },
    });
  }
  emit('configPublished', { groupId, version: group.configVersion });
  emit('groupUpdated', { groupId });
  return group.configVersion;
}
