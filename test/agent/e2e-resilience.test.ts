/**
 * The agent (bundle and single executable, agent-fixture.ts) under trouble: a revoked token, an
 * enrolment answer lost on the way, a server that goes away and comes back, and an agent killed with SIGKILL in the middle of applying
 * a config.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDataDir } from '../../agent/apply/apply.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { mintToken } from '../helpers/factories.ts';
import { agentSuite, runningAgent } from './e2e-suite.ts';
import { AGENT_KINDS } from './agent-fixture.ts';
import { agentRowWhere, changeGroup } from './e2e-fleet.ts';
import { FAKE_VECTOR, isAlive, readIfExists, waitFor } from './helpers.ts';

describe.each(AGENT_KINDS)('%s', (kind) => {
  const suite = agentSuite(kind);
  const SLOW_VECTOR = path.join(import.meta.dirname, 'fixtures/slow-vector.sh');

  /** A running agent that talks to the server through a proxy the test can take down. */
  const agentBehindProxy = async (options: { vectorBin?: string } = {}) => {
    const agent = await runningAgent(suite, {
      proxy: true,
      host: { vectorBin: options.vectorBin, env: { FAKE_VECTOR_BIN: FAKE_VECTOR } },
    });
    return { ...agent, proxy: agent.proxy! };
  };

  describe('agent resilience', { timeout: 60_000 }, () => {
    it('stops asking the server after its token is revoked, keeps vector running, and resumes after a new enrolment', async () => {
      const { proxy, group, host, agentId, vector } = await agentBehindProxy();
      await revokeAgents(suite.server.ctx, CLI_ACTOR, { agentIds: [agentId] });
      await waitFor('the revoke to be noticed', () => host.logged('agent token revoked, re-enrol'));
      await waitFor('the agent to wait for enrolment', () => host.logged('waiting for a new enrolment'));
      const asked = proxy.requests.length;
      const silence = Date.now() + 1500;
      await waitFor('1.5 s of polling intervals', () => Date.now() > silence, 3000);
      expect(proxy.requests.slice(asked)).toEqual([]);
      expect(isAlive(vector.pid)).toBe(true);

      await host.enrol(suite.agentFile, proxy.url, await mintToken(suite.server.ctx, group.id));
      const newId = await waitFor('the new agent', async () => {
        const row = await suite.server.ctx.db.agent.findFirst({
          where: { groupId: group.id, revokedAt: null },
        });
        return row?.id;
      });
      await agentRowWhere(
        suite.server,
        newId,
        'heartbeats from the new identity',
        (r) => r.lastHeartbeatAt !== null,
      );
    });

    it('retries an enrolment whose answer was lost and runs as the one agent it made', async () => {
      let dropped = 0;
      const { group, agentId } = await runningAgent(suite, {
        onAnswer: ({ path, status }) =>
          path.endsWith('/enrol') && status === 201 && dropped++ === 0 ? 'drop' : 'forward',
      });
      expect(dropped).toBe(2);
      const agents = await suite.server.ctx.db.agent.findMany({ where: { groupId: group.id } });
      expect(agents.map((a) => a.id)).toEqual([agentId]);
      expect(agents[0].lastHeartbeatAt).not.toBeNull();
    });

    it('rides out a server outage without touching the host, then catches up by itself', async () => {
      const { proxy, group, host, agentId, vector } = await agentBehindProxy();
      const before = await fs.readFile(host.path('state', 'vector.yaml'), 'utf8');
      await proxy.down();
      const next = await changeGroup(suite.server, group.id, { source: 'during-outage' });
      await waitFor('several failed polls with backoff', () =>
        host.lines.some((l) => l.msg === 'config poll failed' && Number(l.attempt) >= 4),
      );
      expect(await fs.readFile(host.path('state', 'vector.yaml'), 'utf8')).toBe(before);
      expect(await host.vectorState()).toMatchObject({ pid: vector.pid, reloads: 0 });
      await proxy.up();
      await agentRowWhere(
        suite.server,
        agentId,
        'the change applied after the outage',
        (r) => r.appliedConfigVersion === next,
      );
      expect((await host.vectorState())?.pid).toBe(vector.pid);
    });

    it('leaves the old or the new config on disk, never a mix, when the agent is killed with SIGKILL mid-apply', async () => {
      const { group, host, agentId, vector } = await agentBehindProxy({ vectorBin: SLOW_VECTOR });
      const configFile = host.path('state', 'vector.yaml');
      const rendered = async (version: number) => {
        const entry = await suite.server.app.directory.renderedConfig(group.id, version, 'linux');
        return withDataDir(entry?.yaml ?? '', host.path('state', 'vector'));
      };
      let current = await fs.readFile(configFile, 'utf8');

      // Killed while `vector validate` runs on the candidate: the old file stays.
      await fs.writeFile(host.path('fake', 'slow-validate'), '');
      const v2 = await changeGroup(suite.server, group.id, { source: 'second' });
      await waitFor('the apply to reach validate', () =>
        readIfExists(host.path('state', 'vector.candidate.yaml')),
      );
      await host.kill9();
      expect(await fs.readFile(configFile, 'utf8')).toBe(current);
      await fs.rm(host.path('fake', 'slow-validate'));
      host.start(suite.agentFile);
      await agentRowWhere(
        suite.server,
        agentId,
        'v2 applied after the restart',
        (r) => r.appliedConfigVersion === v2,
      );
      expect(await fs.readFile(configFile, 'utf8')).toBe(await rendered(v2));
      await waitFor('the vector left by the killed agent to be reaped', () => !isAlive(vector.pid));
      current = await rendered(v2);

      // Killed at moments spread over the whole apply: always exactly one of the two files.
      for (const delayMs of [90, 280]) {
        const next = await changeGroup(suite.server, group.id, { source: `kill-${delayMs}` });
        const expected = await rendered(next);
        const until = Date.now() + delayMs;
        await waitFor(`${delayMs} ms into the apply`, () => Date.now() >= until);
        await host.kill9();
        expect([current, expected]).toContain(await fs.readFile(configFile, 'utf8'));
        host.start(suite.agentFile);
        await agentRowWhere(
          suite.server,
          agentId,
          `version ${next} applied`,
          (r) => r.appliedConfigVersion === next,
        );
        expect(await fs.readFile(configFile, 'utf8')).toBe(expected);
        current = expected;
      }
      expect((await host.runningVector()).configPath).toBe(configFile);
    });
  });
});
