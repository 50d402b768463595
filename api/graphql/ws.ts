/**
 * graphql-ws on /graphql (WebSocket upgrade). A connection is authenticated on connection_init
 * and again for every subscription: an API token in `connectionParams.authorization` ("Bearer
 * FLT_…") or the Authorization header, else the session cookie — accepted only from this server's
 * own origin, since browsers send cookies with cross-site WebSocket handshakes. Anonymous or
 * refused connections, and connections whose session or token has since ended (signed out,
 * revoked, expired, user disabled or downgraded: see ws-connections.ts), are closed with 4403
 * Forbidden; connections beyond the caps with 4429, operations beyond the per-connection cap get a
 * TOO_MANY_SUBSCRIPTIONS error. Operations run through Yoga's envelop (same schema, limits and
 * error masking as HTTP); subscriptions with the same role and operation share one execution
 * (shared-subscriptions.ts), so a socket that is too far behind its messages is closed with 1013;
 * each result is serialized once for all of them (shared-payloads.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { ANONYMOUS, RequestRejected, authenticate } from './auth.ts';
import { clientAddress, publicOrigin } from '../http/request-info.ts';
import { createContext, type GraphqlServices } from './context.ts';
import { createWsConnections, WsCloseCode } from './ws-connections.ts';
import type { WsLimits } from '../config.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import type { GraphqlYoga } from './yoga.ts';
import { createSharedSubscriptions, type SubscriptionResult } from './shared-subscriptions.ts';
import { SharedPayloadSocket } from './shared-payloads.ts';

export interface GraphqlWs {
  /** Take over an upgrade request for /graphql. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Close every connection (1001 Going Away) and stop accepting new ones. */
  close(): Promise<void>;
  /** Admitted connections, their operations and the executions serving them (see WsStats). */
  stats(): WsStats;
}

export interface WsStats {
  connections: number;
  /** Operations running on the connections now. */
  subscriptions: number;
  /** Subscription executions running now (shared-subscriptions.ts: one per role, document, variables). */
  sharedSubscriptions: number;
  /** Subscriptions that have started receiving since the server started (tests wait on it). */
  subscriptionsStarted: number;
}

type Envelop = ReturnType<GraphqlYoga['getEnveloped']>;
interface RootValue {
  execute: Envelop['execute'];
  subscribe: Envelop['subscribe'];
  /** Operations with the same key share one execution: the caller's role and the operation. */
  shareKey: string;
  /** Drop this operation's socket: it fell too far behind its subscription's messages. */
  dropSlow(): void;
}

function connectionAuthorization(
  params: Record<string, unknown> | undefined,
  req: IncomingMessage,
): string | undefined {
  const given = params?.authorization ?? params?.Authorization;
  return typeof given === 'string' ? given : req.headers.authorization;
}

/** Build the graphql-ws server for `yoga`, holding connections within `limits`. Never fails. */
export function createGraphqlWs(yoga: GraphqlYoga, services: GraphqlServices, limits: WsLimits): GraphqlWs {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BODY_BYTES,
    WebSocket: SharedPayloadSocket,
  });
  const connections = createWsConnections(services.fleet, limits, services.log);
  const shared = createSharedSubscriptions<ExecutionArgs>();
  /** Each admitted connection's graphql-ws context, whose `subscriptions` lists its running operations. */
  const admitted = new Set<{ subscriptions: Record<string, unknown> }>();
  const originOf = (req: IncomingMessage) =>
    publicOrigin(
      { publicUrl: services.fleet.settings.publicUrl, trustProxy: services.trustProxy },
      req.headers,
    );

  /** The caller of a connection, or anonymous when its credentials are refused. */
  const connectionAuth = async (params: Record<string, unknown> | undefined, req: IncomingMessage) => {
    const origin = originOf(req);
    const sameOrigin = origin !== null && (!req.headers.origin || req.headers.origin === origin);
    try {
      const headers = { authorization: connectionAuthorization(params, req), cookie: req.headers.cookie };
      return await authenticate(services.fleet, headers, sameOrigin);
    } catch (error) {
      if (error instanceof RequestRejected) return ANONYMOUS;
      throw error;
    }
  };

  const server = useServer<Record<string, unknown> | undefined>(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const admission = await connections.admit(socket, () =>
          connectionAuth(ctx.connectionParams, request),
        );
        if (admission === 'too_many') socket.close(WsCloseCode.tooManyConnections, 'Too many connections');
        if (admission === 'admitted') admitted.add(ctx);
        return admission === 'admitted';
      },
      onClose: (ctx) => {
        admitted.delete(ctx);
        connections.release(ctx.extra.socket);
      },
      onSubscribe: async (ctx, _id, params) => {
        const tooMany = connections.tooManyOperations(Object.keys(ctx.subscriptions).length);
        if (tooMany) return [tooMany];
        const req = ctx.extra.request;
        const auth = await connectionAuth(ctx.connectionParams, req);
        if (!auth.actor) {
          ctx.extra.socket.close(WsCloseCode.forbidden, 'Forbidden');
          return [
            new GraphQLError('the session or API token has ended', {
              extensions: { code: 'UNAUTHENTICATED' },
            }),
          ];
        }
        const { socket } = ctx.extra;
        const shareKey = JSON.stringify([
          auth.actor.role,
          params.query,
          params.operationName,
          params.variables,
        ]);
        const dropSlow = () => socket.close(WsCloseCode.tooSlow, 'Too slow: reconnect and subscribe again');
        // The same operation for the same role already runs: it was parsed and validated then, and
        // this socket joins it (shared-subscriptions.ts) without a context and envelope of its own.
        const running = shared.argsOf(shareKey);
        if (running) return { ...running, rootValue: { ...(running.rootValue as RootValue), dropSlow } };
        const context = createContext(services, auth, {
          transport: 'ws',
          clientAddress: clientAddress(req, services.trustProxy),
          secure: originOf(req)?.startsWith('https:') ?? false,
        });
        const enveloped = yoga.getEnveloped({ ...context, req, socket, params });
        let document;
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const rootValue: RootValue = {
          execute: enveloped.execute,
          subscribe: enveloped.subscribe,
          shareKey,
          dropSlow,
        };
        return {
          schema: enveloped.schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue,
        } satisfies ExecutionArgs;
      },
      // Results are serialized once however many sockets send them (shared-payloads.ts).
      onNext: (ctx, _id, _params, _args, result) =>
        (ctx.extra.socket as SharedPayloadSocket).placeholder(result),
      execute: (args) => (args.rootValue as RootValue).execute(args),
      subscribe: (args) => {
        const root = args.rootValue as RootValue;
        return shared.subscribe(
          root.shareKey,
          args,
          () => Promise.resolve(root.subscribe(args)) as Promise<SubscriptionResult>,
          root.dropSlow,
        );
      },
    },
    wss,
  );

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (connections.hasRoom(wss.clients.size)) return void wss.emit('connection', ws, req);
        ws.close(WsCloseCode.tooManyConnections, 'Too many connections');
      });
    },
    async close() {
      connections.close();
      await server.dispose();
    },
    stats() {
      let subscriptions = 0;
      for (const ctx of admitted) subscriptions += Object.keys(ctx.subscriptions).length;
      return {
        connections: admitted.size,
        subscriptions,
        sharedSubscriptions: shared.executions(),
        subscriptionsStarted: shared.started(),
      };
    },
  };
}
