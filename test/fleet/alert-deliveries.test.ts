/**
 * Alert notifications end to end, on the injected clock: an agent goes quiet, the alerts job fires
 * to a real local HTTP receiver with a valid X-Flotilla-Signature, retries a 500 with backoff (the
 * delivery log keeps each status code), and resolves when the agent is back; a Slack channel gets
 * `{"text"}`. Channel URLs and secrets are stored encrypted only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { paths } from '../../api/protocol/v1.ts';
import { createAlertRule } from '../../api/fleet/alerts/rules.ts';
import { createChannel, verifyWebhook } from '../../api/fleet/alerts/channels.ts';
import { retryDelayMs } from '../../api/fleet/alerts/deliveries.ts';
import type { AlertNotification } from '../../api/fleet/alerts/evaluate.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const KEY = Buffer.alloc(32, 9).toString('base64');
let server: TestServer;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
/** Status codes the receiver answers, in order; 200 once they run out. */
const answers: number[] = [];
let now = new Date('2026-12-06T10:00:00Z');
const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  server = await startTestServer({
    clock: () => now,
    env: { FLOTILLA_SECRET_KEY: KEY, FLOTILLA_ALERT_INTERVAL_SECONDS: '3600' },
  });
});
afterAll(async () => {
  await server.close();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('alert notifications', () => {
  it('fires to a webhook with a valid signature, retries a 500, and resolves when the agent is back', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const heartbeat = async () => {
      const res = await postJson(
        `${server.baseUrl}${paths.heartbeat(agent.agentId)}`,
        heartbeatBody({ appliedConfigVersion: agent.configVersion }),
        agent.agentToken,
      );
      expect(res.ok).toBe(true);
      await server.app.heartbeats.flush({ rethrow: true });
    };
    const webhook = await createChannel(server.ctx, CLI_ACTOR, {
      name: 'ops webhook',
      type: 'webhook',
      url: `${receiverUrl}/hook?team=ops`,
    });
    const slack = await createChannel(server.ctx, CLI_ACTOR, {
      name: 'ops slack',
      type: 'slack',
      url: `${receiverUrl}/slack`,
    });
    expect(webhook.signingSecret).toMatch(/^whsec_/);
    const stored = await server.ctx.db.notificationChannel.findUniqueOrThrow({
      where: { id: webhook.channel.id },
    });
    expect(JSON.stringify(stored)).not.toContain('/hook');
    expect(JSON.stringify(stored)).not.toContain(webhook.signingSecret);
    expect(webhook.channel).not.toHaveProperty('ciphertext');

    await createAlertRule(server.ctx, CLI_ACTOR, {
      name: 'agent quiet',
      kind: 'agent_offline',
      threshold: 2,
      forSeconds: 60,
      groupId: group.id,
      channelIds: [webhook.channel.id, slack.channel.id],
    });
    await heartbeat();
    advance(150);
    await server.app.alerts.runOnce();
    expect(received).toEqual([]); // pending: the breach has not lasted `for` yet

    answers.push(500);
    advance(60);
    await server.app.alerts.runOnce();
    expect(server.app.alerts.holding()).toBe(true);
    const hooks = () => received.filter((r) => r.path === '/hook?team=ops');
    expect(hooks()).toHaveLength(1);
    // Both channels were tried in the same round; which one got the 500 depends on arrival order.
    const failed = await server.ctx.db.alertDelivery.findFirstOrThrow({ where: { state: 'pending' } });
    expect(failed).toMatchObject({ attempts: 1, lastStatus: 500 });

    advance(retryDelayMs(1) / 1000);
    await server.app.alerts.runOnce();
    expect(await server.ctx.db.alertDelivery.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({
      state: 'delivered',
      attempts: 2,
      lastStatus: 200,
      log: [
        { at: new Date(now.getTime() - retryDelayMs(1)).toISOString(), status: 500, error: 'HTTP 500' },
        { at: now.toISOString(), status: 200, error: null },
      ],
    });

    const firing = hooks().at(-1) as Received;
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const headers = (r: Received) => ({
      signature: r.headers['x-flotilla-signature'] as string,
      timestamp: r.headers['x-flotilla-timestamp'] as string,
    });
    expect(verifyWebhook(webhook.signingSecret, headers(firing), firing.body, nowSeconds)).toBe(true);
    expect(verifyWebhook(webhook.signingSecret, headers(firing), `${firing.body} `, nowSeconds)).toBe(false);
    expect(verifyWebhook(webhook.signingSecret, headers(firing), firing.body, nowSeconds + 301)).toBe(false);
    const notification = JSON.parse(firing.body) as AlertNotification;
    expect(notification).toMatchObject({
      version: 1,
      event: 'firing',
      alert: { ruleName: 'agent quiet', kind: 'agent_offline', agentId: agent.agentId, state: 'firing' },
    });
    expect(firing.headers['x-flotilla-delivery']).toBe(notification.deliveryId);
    const slackMessage = JSON.parse(received.find((r) => r.path === '/slack')?.body ?? '{}');
    expect(slackMessage.text).toMatch(
      /FIRING \*agent quiet\* \(agent_offline\): .* no heartbeat for 3 minutes/,
    );

    await heartbeat();
    await server.app.alerts.runOnce();
    const resolved = hooks().at(-1) as Received;
    expect(verifyWebhook(webhook.signingSecret, headers(resolved), resolved.body, nowSeconds)).toBe(true);
    expect(JSON.parse(resolved.body)).toMatchObject({
      event: 'resolved',
      alert: { id: notification.alert.id, state: 'resolved' },
    });
    expect(received.filter((r) => r.path === '/slack').map((r) => JSON.parse(r.body).text)).toEqual([
      expect.stringMatching(/FIRING/),
      expect.stringMatching(/RESOLVED/),
    ]);
  });

  it('gives up at once on a 4xx other than 408 and 429', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const res = await postJson(
      `${server.baseUrl}${paths.heartbeat(agent.agentId)}`,
      heartbeatBody({ vectorRunning: false }),
      agent.agentToken,
    );
    expect(res.ok).toBe(true);
    await server.app.heartbeats.flush({ rethrow: true });
    const { channel } = await createChannel(server.ctx, CLI_ACTOR, {
      name: 'gone',
      type: 'webhook',
      url: `${receiverUrl}/gone`,
    });
    await createAlertRule(server.ctx, CLI_ACTOR, {
      name: 'vector down, gone receiver',
      kind: 'vector_not_running',
      groupId: group.id,
      channelIds: [channel.id],
    });
    answers.push(410);
    await server.app.alerts.runOnce();
    expect(
      await server.ctx.db.alertDelivery.findFirstOrThrow({ where: { channelId: channel.id } }),
    ).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastStatus: 410,
    });
  });
});
