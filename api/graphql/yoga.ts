/**
 * The Yoga instance behind /graphql: the schema, masked unexpected errors (logged with their
 * cause), depth / cost / page-size limits, introspection, and GraphiQL for people (sending the
 * CSRF header and subscribing over graphql-ws). The HTTP (http.ts) and WebSocket (ws.ts)
 * transports give it a ready GraphQLContext; Yoga never authenticates on its own.
 */
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { schema } from './schema/index.ts';
import { useQueryLimits } from './limits.ts';
import { useStorableInput } from './input-bounds.ts';
import { CSRF_HEADER } from './auth.ts';
import { renderGraphiqlPage } from './graphiql.ts';
import type { GraphQLContext } from './context.ts';

export type GraphqlYoga = YogaServerInstance<GraphQLContext, object>;

/** Subscriptions run over graphql-ws only; over HTTP they get an error instead of a stream. */
function useNoHttpSubscriptions(path: string): Plugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if ((args.contextValue as Partial<GraphQLContext>).transport !== 'ws') {
        setResultAndStopExecution({
          errors: [
            new GraphQLError(`subscribe over graphql-ws on ${path}`, {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ],
        });
      }
    },
  };
}

/** The content types a GraphQL POST may have, as the 415 answer names them. */
export const GRAPHQL_CONTENT_TYPES = [
  'application/json',
  'application/graphql+json',
  'application/graphql',
] as const;

/**
 * Yoga answers a POST whose content type no request parser takes (text/plain, say) with an empty
 * 415; this gives it a GraphQL error body (code UNSUPPORTED_MEDIA_TYPE) naming the accepted types.
 */
function useUnsupportedMediaTypeBody(): Plugin {
  return {
    onResponse({ response, setResponse, fetchAPI }) {
      if (response.status !== 415 || response.headers.get('content-type')) return;
      const message = `send GraphQL requests as ${GRAPHQL_CONTENT_TYPES[0]} (or GET with query parameters)`;
      const body = JSON.stringify({
        errors: [
          { message, extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', accepted: GRAPHQL_CONTENT_TYPES } },
        ],
      });
      setResponse(
        new fetchAPI.Response(body, {
          status: 415,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}

/** Build the Yoga server answering on `path`. Call once per app; never fails. */
export function createGraphqlYoga(log: Logger, path: string): GraphqlYoga {
  const graphqlLog = log.child({ component: 'graphql' });
  return createYoga<GraphQLContext>({
    schema,
    graphqlEndpoint: path,
    landingPage: false,
    batching: false,
    // The dashboard and GraphiQL are same-origin; no other site may call /graphql from a browser.
    cors: false,
    logging: {
      debug: (...args) => graphqlLog.debug(args.map(String).join(' ')),
      info: (...args) => graphqlLog.info(args.map(String).join(' ')),
      warn: (...args) => graphqlLog.warn(args.map(String).join(' ')),
      error: (...args) => graphqlLog.error(args.map(String).join(' ')),
    },
    maskedErrors: {
      maskError(error, message, isDev) {
        const masked = maskError(error, message, isDev);
        if (masked !== error && masked instanceof GraphQLError && masked.extensions.unexpected) {
          const cause = error instanceof GraphQLError ? (error.originalError ?? error) : error;
          graphqlLog.error({ err: cause, path: masked.path }, 'unexpected error in a GraphQL operation');
        }
        return masked;
      },
    },
    renderGraphiQL: renderGraphiqlPage,
    graphiql: {
      title: 'Flotilla GraphQL',
      subscriptionsProtocol: 'WS',
      additionalHeaders: { [CSRF_HEADER]: '1' },
    },
    plugins: [
      useStorableInput(),
      useQueryLimits(),
      useNoHttpSubscriptions(path),
      useUnsupportedMediaTypeBody(),
    ],
  });
}
