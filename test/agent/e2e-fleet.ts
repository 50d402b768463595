/**
 * Server-side helpers for the agent end-to-end tests: a group whose config the fake vector
 * accepts, a token, and reads of what the server knows about an agent and its actions.
 */
import type { TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, mintToken, publishPipeline } from '../helpers/factories.ts';
import { publishedDocument } from '../../api/fleet/publish.ts';
import { waitFor } from './helpers.ts';

/** A fresh group with one demo_logs input and a console output, plus an EBT_ token for it. */
export async function groupWithToken(server: TestServer) {
  const group = await createGroupWithPipeline(server.ctx);
  const token = await mintToken(server.ctx, group.id);
  return { group, token };
}

/** The group's current config version. */
export async function configVersion(server: TestServer, groupId: string): Promise<number> {
  return (await server.ctx.db.group.findUniqueOrThrow({ where: { id: groupId } })).configVersion;
}

/**
 * Changes the group's only source (a routing remap with `.source = <source>` lands in the YAML, so it can
 * carry FAKE_VECTOR_INVALID or FAKE_VECTOR_CRASH_ON_LOAD) and resolves the new config version.
 */
export async function changeGroup(
  server: TestServer,
  groupId: string,
  change: { source?: string; enabled?: boolean },
) {
  const { components } = await publishedDocument(server.ctx.db, groupId);
  const source = components.find((c) => c.kind === 'source')!;
  const routing = `${source.id}_routing`;
  const changed = components
    .filter((c) => c.id !== routing)
    .map((c) => {
      if (c.id === source.id) return change.enabled === undefined ? c : { ...c, enabled: change.enabled };
      if (c.kind !== 'sink' || change.source === undefined) return c;
      return { ...c, inputs: c.inputs.map((ref) => (ref === source.id ? routing : ref)) };
    });
  if (change.source !== undefined) {
    changed.push({
      ...source,
      id: routing,
      kind: 'transform',
      type: 'remap',
      options: { source: `.source = ${JSON.stringify(change.source)}\n` },
      inputs: [source.id],
    });
  }
  await publishPipeline(server.ctx, groupId, { components: changed }, 'e2e change');
  return configVersion(server, groupId);
}

/** The id of the only agent enrolled in `groupId`. */
export async function agentIdOf(server: TestServer, groupId: string): Promise<string> {
  return waitFor(
    'the agent row',
    async () => (await server.ctx.db.agent.findFirst({ where: { groupId } }))?.id,
  );
}

/** Waits until the server's row for `agentId` satisfies `check` (heartbeats are flushed every 50 ms). */
export function agentRowWhere(
  server: TestServer,
  agentId: string,
  what: string,
  check: (row: NonNullable<Awaited<ReturnType<TestServer['ctx']['db']['agent']['findUnique']>>>) => boolean,
  timeoutMs = 20_000,
) {
  return waitFor(
    what,
    async () => {
      const row = await server.ctx.db.agent.findUnique({ where: { id: agentId } });
      return row && check(row) ? row : undefined;
    },
    timeoutMs,
    50,
  );
}
