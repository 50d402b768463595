/**
 * A Flotilla server process on a fresh PostgreSQL database, prepared for the fleet benchmarks: a
 * group, an admin with an API token (FLT_) for GraphQL, bootstrap tokens, and an agent release
 * to upgrade to. Config changes and bulk upgrades go through GraphQL like an operator's would.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cli, leafPid, startFlotilla, unpinHelperThreads, type Running } from './lib.ts';

const ADMIN_URL = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const ADMIN_EMAIL = 'bench@example.com';
export const UPGRADE_VERSION = '9.0.0';
export const AGENT_VERSION = '0.1.0';

export interface BenchServer {
  baseUrl: string;
  /** Its fresh database (dropped by stop). */
  databaseUrl: string;
  /** The server's node process (not the tsx launcher). */
  pid: number;
  groupId: string;
  /** Bootstrap tokens, each good for the whole fleet (several spread the enrolment row locks). */
  bootstrapTokens: string[];
  apiToken: string;
  /** Run a GraphQL operation as the admin; throws on errors. */
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Publish a new config version (a rename); resolves it and when the request was sent. */
  publish(): Promise<{ version: number; at: number }>;
  /** Queue upgrade_agent for `count` agents still on AGENT_VERSION; resolves how many. */
  upgrade(count: number): Promise<number>;
  stop(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Start a server on a fresh database named `flotilla_<name>_<pid>`; `env` adds server settings. */
export async function startBenchServer(
  name: string,
  env: Record<string, string> = {},
  tokens = 8,
): Promise<BenchServer> {
  const database = `flotilla_${name}_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const dbEnv = { DATABASE_URL: url.toString() };
  const release = path.join(os.tmpdir(), `flotilla-bench-release-${process.pid}.mjs`);
  let server: Running | undefined;
  try {
    const created = await cli(['group', 'create', '--slug', 'fleet', '--name', 'Fleet'], dbEnv);
    const groupId = /\(([0-9a-f-]{36})\)/.exec(created)?.[1];
    if (!groupId) throw new Error(`cannot read the group id from: ${created}`);
    await fs.writeFile(release, '// a release for the simulator to download\n');
    await cli(['release', 'add', release, '--version', UPGRADE_VERSION], dbEnv);
    server = await startFlotilla({
      ...dbEnv,
      FLOTILLA_ENROL_RATE_LIMIT: '100000000',
      FLOTILLA_ADMIN_EMAIL: ADMIN_EMAIL,
      FLOTILLA_ADMIN_PASSWORD: 'bench-password-long-enough',
      ...env,
    });
    const apiToken = await cli(['api-token', 'create', '--user', ADMIN_EMAIL, '--name', 'bench'], dbEnv);
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const graphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
      const res = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    const bootstrapTokens = await mintTokens(graphql, groupId, tokens);
    const running = server;
    const pid = await leafPid(running.child.pid as number);
    unpinHelperThreads(pid);
    let renames = 0;
    return {
      baseUrl,
      databaseUrl: dbEnv.DATABASE_URL,
      pid,
      groupId,
      bootstrapTokens,
      apiToken,
      graphql,
      async publish() {
        const at = Date.now();
        const data = await graphql<{ updateGroup: { group?: { configVersion: number }; message?: string } }>(
          `
            mutation ($input: UpdateGroupInput!) {
              updateGroup(input: $input) {
                ... on UpdateGroupPayload {
                  group {
                    configVersion
                  }
                }
                ... on Error {
                  message
                }
              }
            }
          `,
          { input: { id: groupId, name: `Fleet ${++renames}` } },
        );
        if (!data.updateGroup.group) throw new Error(`updateGroup: ${data.updateGroup.message}`);
        return { version: data.updateGroup.group.configVersion, at };
      },
      async upgrade(count) {
        const found = await graphql<{ agents: { edges: { node: { id: string } }[] } }>(
          `
            query ($first: Int!, $filter: AgentFilter) {
              agents(first: $first, filter: $filter) {
                edges {
                  node {
                    id
                  }
                }
              }
            }
          `,
          { first: count, filter: { agentVersions: [AGENT_VERSION] } },
        );
        const agentIds = found.agents.edges.map((e) => e.node.id);
        if (agentIds.length === 0) return 0;
        const data = await graphql<{ createBulkAction: { count?: number; message?: string } }>(
          `
            mutation ($input: CreateBulkActionInput!) {
              createBulkAction(input: $input) {
                ... on CreateBulkActionPayload {
                  count
                }
                ... on Error {
                  message
                }
              }
            }
          `,
          { input: { agentIds, type: 'upgrade_agent', payload: { targetVersion: UPGRADE_VERSION } } },
        );
        if (data.createBulkAction.count === undefined)
          throw new Error(`createBulkAction: ${data.createBulkAction.message}`);
        return data.createBulkAction.count;
      },
      async stop() {
        await running.stop();
        await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      },
    };
  } catch (error) {
    await server?.stop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    throw error;
  } finally {
    await fs.rm(release, { force: true });
  }
}

/** Mint `count` bootstrap tokens for group `groupId`, each good for 1,000,000 enrolments over a day. */
export async function mintTokens(
  graphql: BenchServer['graphql'],
  groupId: string,
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = await graphql<{ mintEnrolmentToken: { token?: string; message?: string } }>(
      `
        mutation ($input: MintEnrolmentTokenInput!) {
          mintEnrolmentToken(input: $input) {
            ... on MintEnrolmentTokenPayload {
              token
            }
            ... on Error {
              message
            }
          }
        }
      `,
      { input: { groupId, maxUses: 1_000_000, ttlSeconds: 86_400 } },
    );
    if (!data.mintEnrolmentToken.token)
      throw new Error(`mintEnrolmentToken: ${data.mintEnrolmentToken.message}`);
    tokens.push(data.mintEnrolmentToken.token);
  }
  return tokens;
}
