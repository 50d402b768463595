/**
 * Builders for test data through the real fleet functions (never raw inserts), and a tiny client
 * for the agent protocol.
 */
import { CLI_ACTOR, type Actor, type FleetContext } from '../../api/fleet/context.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { applyPipeline, documentYaml } from '../../api/fleet/pipeline/code.ts';
import { completeComponent } from '../../api/fleet/pipeline/document.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import type { PipelineComponent, PipelineDocument } from '../../api/fleet/pipeline/document.ts';
import { publishedDocument } from '../../api/fleet/publish.ts';
import { mintEnrolmentToken } from '../../api/fleet/enrolment-tokens.ts';
import { paths, type EnrolRequest } from '../../api/protocol/v1.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';
import type { Group } from '../../api/generated/prisma/client.ts';

let counter = 0;

/** A unique slug for this test process. */
export function uniqueSlug(prefix = 'g'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** A source `demo` (demo_logs) read by a sink `out` (console): a pipeline that passes the checks. */
export const DEMO_PIPELINE: PipelineDocument = {
  components: [
    {
      id: 'demo',
      kind: 'source',
      type: 'demo_logs',
      options: { format: 'json' },
      inputs: [],
      enabled: true,
      platforms: ['linux', 'kubernetes'],
    },
    {
      id: 'out',
      kind: 'sink',
      type: 'console',
      options: { encoding: { codec: 'json' } },
      inputs: ['demo'],
      enabled: true,
      platforms: ['linux', 'kubernetes'],
    },
  ],
};

/** Publish `document` as the group's next version (through pipelines-as-code apply); returns the version. */
export async function publishPipeline(
  ctx: FleetContext,
  groupId: string,
  document: PipelineDocument,
  message = 'test pipeline',
): Promise<number> {
  const yaml = documentYaml(document);
  return (await applyPipeline(ctx, CLI_ACTOR, { groupId, yaml, message })).version;
}

/**
 * Publish the group's published document with component `id` changed by `changes` (a test's
 * "pipeline change"); returns the new version.
 */
export async function changePublishedComponent(
  ctx: FleetContext,
  groupId: string,
  id: string,
  changes: Partial<PipelineComponent>,
): Promise<number> {
  const { components } = await publishedDocument(ctx.db, groupId);
  const changed = components.map((c) => (c.id === id ? { ...c, ...changes } : c));
  return publishPipeline(ctx, groupId, { components: changed }, `change ${id}`);
}

/**
 * Publish the group's pipeline with one more component (a sink reads `demo` unless it names
 * inputs), as `actor`; returns the stored component. Fails like publishing: the error's issue paths
 * are made relative to the component (`type`, `options.path`) instead of `<id>.type`.
 */
export async function publishComponent(
  ctx: FleetContext,
  actor: Actor,
  groupId: string,
  component: Pick<PipelineComponent, 'id' | 'kind' | 'type'> & Partial<PipelineComponent>,
): Promise<PipelineComponent> {
  const complete = completeComponent({
    options: {},
    inputs: component.kind === 'sink' ? ['demo'] : [],
    enabled: true,
    ...component,
  });
  const { components } = await publishedDocument(ctx.db, groupId);
  await publishAs(
    ctx,
    actor,
    groupId,
    [...components.filter((c) => c.id !== complete.id), complete],
    complete.id,
  );
  return complete;
}

async function publishAs(
  ctx: FleetContext,
  actor: Actor,
  groupId: string,
  components: PipelineComponent[],
  id: string,
): Promise<void> {
  try {
    await applyPipeline(ctx, actor, {
      groupId,
      yaml: documentYaml({ components }),
      message: `publish ${id}`,
    });
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    const issues = error.issues.map((i) => ({
      ...i,
      path: i.path.startsWith(`${id}.`) ? i.path.slice(id.length + 1) : i.path,
    }));
    throw new FleetError(error.code, error.message, issues);
  }
}

/** A group whose published pipeline is DEMO_PIPELINE (version 2): a config that passes validation. */
export async function createGroupWithPipeline(ctx: FleetContext, slug = uniqueSlug()): Promise<Group> {
  const group = await createGroup(ctx, CLI_ACTOR, { slug, name: `Group ${slug}` });
  await publishPipeline(ctx, group.id, DEMO_PIPELINE);
  return ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
}

/** Mint an EBT_ token for a group and return the secret. */
export async function mintToken(
  ctx: FleetContext,
  groupId: string,
  maxUses = 10,
  ttlSeconds = 3600,
): Promise<string> {
  const minted = await mintEnrolmentToken(ctx, CLI_ACTOR, { groupId, maxUses, ttlSeconds });
  return minted.token;
}

/** A valid enrolment body for `bootstrapToken`. */
export function enrolBody(bootstrapToken: string, overrides: Partial<EnrolRequest> = {}): EnrolRequest {
  return {
    bootstrapToken,
    hostname: `host-${process.pid}-${++counter}.example.com`,
    platform: 'linux',
    os: 'Debian 12',
    kernel: '6.1.0',
    agentVersion: '0.1.0',
    vectorVersion: '0.58.0',
    ...overrides,
  };
}

/** A valid heartbeat body (as sent, and as the route hands it to the fleet). */
export function heartbeatBody(overrides: Partial<ParsedHeartbeat> = {}): ParsedHeartbeat {
  return {
    agentVersion: '0.1.0',
    vectorVersion: '0.58.0',
    appliedConfigVersion: 0,
    vectorRunning: true,
    vectorUptimeSeconds: 10,
    ...overrides,
  };
}

/** POST JSON and return the raw response. */
export function postJson(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

export interface EnrolledTestAgent {
  agentId: string;
  agentToken: string;
  groupId: string;
  configVersion: number;
}

/** Enrol through the real HTTP route; throws when the answer is not 201. */
export async function enrolOverHttp(
  baseUrl: string,
  bootstrapToken: string,
  overrides: Partial<EnrolRequest> = {},
): Promise<EnrolledTestAgent> {
  const res = await postJson(baseUrl + paths.enrol, enrolBody(bootstrapToken, overrides));
  if (res.status !== 201) throw new Error(`enrol answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { data: EnrolledTestAgent }).data;
}

/** Poll until `check` returns a truthy value (or throw after `timeoutMs`). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
