/**
 * The frame every agent end-to-end file shares, once per agent kind (the bundle on node, the single
 * executable): one test server and the agent's entry for the suite, the hosts and proxies a test
 * started disposed after it, and an agent enrolled into a fresh group and running its config.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { AgentHost, agentEntry, type AgentHostOptions, type AgentKind } from './agent-fixture.ts';
import { agentIdOf, agentRowWhere, configVersion, groupWithToken } from './e2e-fleet.ts';
import { startProxy, type AnswerHook, type Proxy } from './proxy.ts';

/** What one suite shares; `server` and `agentFile` are set once its beforeAll ran. */
export interface AgentSuite {
  server: TestServer;
  agentFile: string;
  readonly hosts: AgentHost[];
  readonly proxies: Proxy[];
}

/** Register the hooks of an end-to-end suite for `kind` (call inside its describe) and return its state. */
export function agentSuite(kind: AgentKind): AgentSuite {
  const suite = { hosts: [], proxies: [] } as unknown as AgentSuite;
  beforeAll(async () => {
    [suite.server, suite.agentFile] = await Promise.all([startTestServer(), agentEntry(kind, '1.0.0')]);
  });
  afterEach(async () => {
    await Promise.all(suite.hosts.splice(0).map((h) => h.dispose()));
    await Promise.all(suite.proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    await suite.server?.close();
  });
  return suite;
}

/**
 * Enrol a new host into a new group and start its agent, talking to the server directly or, with
 * `proxy`, through a proxy the test can take down (`onAnswer` sees each answer); resolves once a
 * heartbeat reported the group's config applied and Vector runs it.
 */
export async function runningAgent(
  suite: AgentSuite,
  options: { proxy?: boolean; onAnswer?: AnswerHook; host?: AgentHostOptions } = {},
) {
  const { server, agentFile } = suite;
  const { group, token } = await groupWithToken(server);
  const proxy = options.proxy || options.onAnswer ? await startProxy(server.baseUrl, options.onAnswer) : null;
  if (proxy) suite.proxies.push(proxy);
  const host = await AgentHost.create(options.host);
  suite.hosts.push(host);
  await host.enrol(agentFile, proxy?.url ?? server.baseUrl, token);
  const agentId = await agentIdOf(server, group.id);
  host.start(agentFile);
  const version = await configVersion(server, group.id);
  await agentRowWhere(
    server,
    agentId,
    'the applied version in a heartbeat',
    (r) => r.appliedConfigVersion === version,
  );
  return { host, group, agentId, version, proxy, vector: await host.runningVector() };
}
