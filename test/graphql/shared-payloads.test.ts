/**
 * Shared payloads (api/graphql/shared-payloads.ts) over a real WebSocket server and client: a
 * message carrying a placeholder arrives byte for byte as graphql-ws would have written the result
 * (data, errors with their locations, paths and extensions), other messages pass unchanged, and a
 * result sent to several sockets is serialized once.
 */
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SharedPayloadSocket } from '../../api/graphql/shared-payloads.ts';
import { waitFor } from '../helpers/factories.ts';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((done) => server.close(done));
  }
});

/** A server whose sockets are SharedPayloadSockets, and `count` clients recording what they receive. */
async function connected(count = 1) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: SharedPayloadSocket });
  servers.push(server);
  await new Promise((listening) => server.once('listening', listening));
  const { port } = server.address() as AddressInfo;
  const sockets: SharedPayloadSocket[] = [];
  server.on('connection', (socket: SharedPayloadSocket) => void sockets.push(socket));
  const received = Array.from({ length: count }, () => [] as string[]);
  for (const messages of received) {
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    client.on('message', (data) => void messages.push(String(data)));
  }
  await waitFor(() => sockets.length === count);
  return { sockets, received };
}

/** What graphql-ws itself writes for a `next` of `result` (its server's own code path). */
function asGraphqlWsWrites(id: string, result: ExecutionResult): string {
  const { errors, ...rest } = result;
  const payload = errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest;
  return stringifyMessage({ id, type: MessageType.Next, payload });
}

/** The message graphql-ws writes once `onNext` gave it the socket's placeholder. */
function withPlaceholder(socket: SharedPayloadSocket, id: string, result: ExecutionResult): string {
  return stringifyMessage({ id, type: MessageType.Next, payload: socket.placeholder(result) });
}

describe('shared payloads', () => {
  it('sends what graphql-ws would have sent, for data, errors and odd operation ids', async () => {
    const { sockets, received } = await connected();
    const [socket] = sockets;
    const failed: ExecutionResult = {
      data: { agent: null },
      errors: [
        new GraphQLError('not found "x"', {
          path: ['agent'],
          extensions: { code: 'NOT_FOUND', detail: { n: 1 } },
        }),
      ],
    };
    const results: [string, ExecutionResult][] = [
      [
        '1',
        { data: { agentUpdated: { agents: [{ id: 'a', lastHeartbeatAt: '2026-12-07T00:00:00.000Z' }] } } },
      ],
      ['2', failed],
      ['3,"payload":{"$sharedPayload":1}}', { data: { n: 'quote " and \\ and ,"payload":{' } }],
    ];
    for (const [id, result] of results) socket.send(withPlaceholder(socket, id, result));
    await waitFor(() => received[0].length === results.length);
    expect(received[0]).toEqual(results.map(([id, result]) => asGraphqlWsWrites(id, result)));
  });

  it('leaves other messages as they are, also while a placeholder waits', async () => {
    const { sockets, received } = await connected();
    const [socket] = sockets;
    const waiting = withPlaceholder(socket, '1', { data: { n: 1 } });
    const others = [
      stringifyMessage({ type: MessageType.ConnectionAck }),
      stringifyMessage({ id: '2', type: MessageType.Next, payload: { data: { $sharedPayload: 1 } } }),
      stringifyMessage({ id: '3', type: MessageType.Complete }),
    ];
    for (const message of others) socket.send(message);
    socket.send(waiting);
    await waitFor(() => received[0].length === 4);
    expect(received[0]).toEqual([...others, asGraphqlWsWrites('1', { data: { n: 1 } })]);
  });

  it('serializes a result once for every socket that sends it', async () => {
    const { sockets, received } = await connected(3);
    let reads = 0;
    const result: ExecutionResult = {
      get data() {
        reads += 1;
        return { n: 42 };
      },
    };
    for (const socket of sockets) socket.send(withPlaceholder(socket, '7', result));
    await waitFor(() => received.every((messages) => messages.length === 1));
    expect(received.map((messages) => messages[0])).toEqual(
      Array(3).fill('{"id":"7","type":"next","payload":{"data":{"n":42}}}'),
    );
    expect(reads).toBe(1);
  });
});
