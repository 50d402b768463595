/**
 * Drift and token rotation end to end: the agent (bundle and single executable, agent-fixture.ts),
 * the fake vector and the real server. A hand-edited vector.yaml is restored and reloaded
 * (self-heal) or left and reported (self-heal off: the agent shows as drifted); a token rotation
 * survives a dropped answer and an agent killed right after the answer arrived.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { updateGroup } from '../../api/fleet/groups.ts';
import { requestTokenRotation } from '../../api/fleet/token-rotation.ts';
import { paths } from '../../api/protocol/v1.ts';
import { heartbeatBody, postJson } from '../helpers/factories.ts';
import { agentSuite, runningAgent } from './e2e-suite.ts';
import { AGENT_KINDS, type AgentHost } from './agent-fixture.ts';
import { agentRowWhere } from './e2e-fleet.ts';
import { waitFor } from './helpers.ts';

describe.each(AGENT_KINDS)('%s', (kind) => {
  const suite = agentSuite(kind);

  const driftAudits = (agentId: string) =>
    suite.server.ctx.db.auditEvent.findMany({ where: { action: 'agent.config_drift', targetId: agentId } });

  describe('drift end to end', { timeout: 90_000 }, () => {
    it('restores a hand-edited vector.yaml and reloads vector; with self-heal off it reports and shows drifted', async () => {
      const { host, group, agentId } = await runningAgent(suite);
      const file = host.path('state', 'vector.yaml');
      const applied = await fs.readFile(file, 'utf8');
      const row = await agentRowWhere(
        suite.server,
        agentId,
        'the hash reported',
        (r) => r.runningConfigSha256 !== null,
      );
      expect(row.configDriftedAt).toBeNull();

      await fs.writeFile(file, applied.replace('format: json', 'format: syslog'));
      await waitFor('the restore', async () =>
        (await fs.readFile(file, 'utf8')) === applied ? true : undefined,
      );
      await waitFor('the reload', async () => ((await host.vectorState())?.reloads === 1 ? true : undefined));
      const [healed] = await waitFor('the audit event', async () => {
        const events = await driftAudits(agentId);
        return events.length === 1 ? events : undefined;
      });
      expect(healed.after).toMatchObject({ restored: true });

      await updateGroup(suite.server.ctx, CLI_ACTOR, { id: group.id, selfHeal: false });
      // Any heartbeat answered after the change carries selfHeal: false.
      const since = new Date();
      await agentRowWhere(suite.server, agentId, 'a later heartbeat', (r) => r.lastHeartbeatAt! > since);
      const edited = `${applied}# edited by hand\n`;
      await fs.writeFile(file, edited);
      await agentRowWhere(suite.server, agentId, 'drifted', (r) => r.configDriftedAt !== null);
      expect(await fs.readFile(file, 'utf8')).toBe(edited);
      const reported = await waitFor('the report', async () => {
        const events = await driftAudits(agentId);
        return events.length === 2 ? events : undefined;
      });
      expect(reported.map((e) => (e.after as { restored: boolean }).restored).sort()).toEqual([false, true]);

      await updateGroup(suite.server.ctx, CLI_ACTOR, { id: group.id, selfHeal: true });
      await agentRowWhere(
        suite.server,
        agentId,
        'healed and no longer drifted',
        (r) => r.configDriftedAt === null,
      );
      expect(await fs.readFile(file, 'utf8')).toBe(applied);
    });
  });

  describe('token rotation end to end', { timeout: 120_000 }, () => {
    it('is never locked out: not by a dropped answer, nor by being killed right after the answer arrived', async () => {
      let mode: 'drop' | 'kill' | 'pass' = 'drop';
      let killed: Promise<void> | undefined;
      const target: { host?: AgentHost } = {};
      const agent = await runningAgent(suite, {
        onAnswer: ({ path, body }) => {
          if (!path.endsWith('/heartbeat') || !body.includes('"agentToken"') || mode === 'pass')
            return 'forward';
          if (mode === 'drop') {
            mode = 'pass';
            return 'drop';
          }
          mode = 'pass';
          // Forward the answer, and kill the agent at once: it may or may not have stored the token.
          setImmediate(() => (killed = target.host!.kill9()));
          return 'forward';
        },
      });
      const host = (target.host = agent.host);
      const tokenFile = host.path('etc', 'agent-token');
      const first = (await fs.readFile(tokenFile, 'utf8')).trim();

      await requestTokenRotation(suite.server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
      await agentRowWhere(
        suite.server,
        agent.agentId,
        'the rotation done',
        (r) => r.tokenRotationRequestedAt === null,
      );
      const second = (await fs.readFile(tokenFile, 'utf8')).trim();
      expect(second).not.toBe(first);
      expect(mode).toBe('pass');
      expect((await beat(agent.agentId, first)).status).toBe(403);
      expect((await beat(agent.agentId, second)).status).toBe(200);

      mode = 'kill';
      await requestTokenRotation(suite.server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
      await waitFor('the agent killed', async () => (killed ? true : undefined));
      await killed;
      host.start(suite.agentFile);
      await agentRowWhere(
        suite.server,
        agent.agentId,
        'the second rotation done',
        (r) => r.tokenRotationRequestedAt === null,
      );
      const third = (await fs.readFile(tokenFile, 'utf8')).trim();
      expect(third).not.toBe(second);
      const since = new Date();
      await agentRowWhere(
        suite.server,
        agent.agentId,
        'heartbeats with the new token',
        (r) => r.lastHeartbeatAt! > since,
      );
      const rotated = await suite.server.ctx.db.auditEvent.count({
        where: { action: 'agent.token_rotated', targetId: agent.agentId },
      });
      expect(rotated).toBe(2);
    });
  });

  function beat(agentId: string, token: string) {
    return postJson(suite.server.baseUrl + paths.heartbeat(agentId), heartbeatBody(), token);
  }
});
