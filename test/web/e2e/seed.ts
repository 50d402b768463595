/**
 * A fleet for the dashboard's browser tests, built through the real fleet functions: groups with
 * a valid pipeline, agents enrolled in-process (hostnames `<prefix>-<n>`), labels on some, and
 * config errors reported over the agent protocol by others.
 */
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { enrolAgent, setAgentLabels } from '../../../api/fleet/agents.ts';
import { paths } from '../../../api/protocol/v1.ts';
import type { TestServer } from '../../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolBody,
  heartbeatBody,
  mintToken,
  postJson,
} from '../../helpers/factories.ts';

export interface SeedOptions {
  /** Agents per group slug. */
  groups: Record<string, number>;
  /** Every n-th agent gets `labels` (0: none). */
  labelEvery?: number;
  labels?: Record<string, string>;
  /** Every n-th agent reports a failed config with `errorMessage` (0: none). */
  failEvery?: number;
  errorMessage?: string;
}

export interface SeededAgent {
  id: string;
  hostname: string;
  group: string;
  failed: boolean;
}

const BATCH = 16;

/** Seed the fleet; resolves the agents in creation order. */
export async function seedFleet(server: TestServer, options: SeedOptions): Promise<SeededAgent[]> {
  const seeded: SeededAgent[] = [];
  let n = 0;
  for (const [slug, count] of Object.entries(options.groups)) {
    const group = await createGroupWithPipeline(server.ctx, slug);
    const token = await mintToken(server.ctx, group.id, count);
    for (let start = 0; start < count; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - start) }, () => ++n);
      const done = await Promise.all(
        batch.map(async (i) => {
          const hostname = `${slug}-${i}.example.com`;
          const enrolled = await enrolAgent(server.ctx, enrolBody(token, { hostname }));
          const id = enrolled.agent.id;
          if (options.labelEvery && i % options.labelEvery === 0) {
            await setAgentLabels(server.ctx, CLI_ACTOR, { agentId: id, labels: options.labels ?? {} });
          }
          const failed = !!options.failEvery && i % options.failEvery === 0;
          if (failed) {
            const body = heartbeatBody({
              appliedConfigVersion: 0,
              configError: {
                version: group.configVersion,
                message: options.errorMessage ?? 'invalid config',
              },
            });
            const res = await postJson(server.baseUrl + paths.heartbeat(id), body, enrolled.agentToken);
            if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}`);
          }
          return { id, hostname, group: slug, failed };
        }),
      );
      seeded.push(...done);
    }
  }
  return seeded;
}
