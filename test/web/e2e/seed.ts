/**
 * A fleet for the dashboard's browser tests. seedFleet builds it through the real fleet functions: groups with
 * a valid pipeline, agents enrolled in-process (hostnames `<prefix>-<n>`), labels on some, and
 * config errors reported over the agent protocol by others.
 */
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { enrolAgent, setAgentLabels } from '../../../api/fleet/agents.ts';
import { mintToken as mintAgentToken } from '../../../api/fleet/tokens.ts';
import { naturalKey, versionKey } from '../../../api/fleet/sort-keys.ts';
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

/** Rows per insert statement of seedLargeFleet. */
const INSERT_ROWS = 2_000;

/**
 * A large fleet for the performance file: `count` agents per group slug, healthy, with no labels,
 * inserted as the rows enrolment writes (agent rows only, no audit events), `INSERT_ROWS` per
 * statement. Enrolling 10,000 agents one by one took 90 s of the suite; the page under test reads
 * the same rows either way.
 */
export async function seedLargeFleet(server: TestServer, groups: Record<string, number>): Promise<void> {
  const enrol = enrolBody('unused');
  for (const [slug, count] of Object.entries(groups)) {
    const group = await createGroupWithPipeline(server.ctx, slug);
    for (let start = 0; start < count; start += INSERT_ROWS) {
      const rows = Array.from({ length: Math.min(INSERT_ROWS, count - start) }, (_, k) => {
        const hostname = `${slug}-${start + k + 1}.example.com`;
        return {
          groupId: group.id,
          tokenHash: mintAgentToken('agent').hash,
          hostname,
          hostnameSortKey: naturalKey(hostname),
          platform: enrol.platform,
          os: enrol.os,
          kernel: enrol.kernel,
          agentVersion: enrol.agentVersion,
          vectorVersion: enrol.vectorVersion,
          agentVersionKey: versionKey(enrol.agentVersion),
          vectorVersionKey: versionKey(enrol.vectorVersion),
        };
      });
      await server.ctx.db.agent.createMany({ data: rows });
    }
  }
}
