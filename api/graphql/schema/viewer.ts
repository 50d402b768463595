/**
 * The caller and their session: viewer, login (sets the httpOnly session cookie; failed attempts
 * are throttled per email and address) and logout.
 */
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { InvalidCredentialsError, TooManyAttemptsError, ValidationError, runFleet } from '../errors.ts';
import { clearedSessionCookie, sessionCookie, type RequestAuth } from '../auth.ts';
import { endSession, startSession, userActor } from '../../fleet/sessions.ts';
import { countUsers } from '../../fleet/users.ts';
import type { Actor } from '../../fleet/context.ts';
import { Role } from './enums.ts';

interface ViewerShape {
  actor: Actor & { id: string };
  method: NonNullable<RequestAuth['method']>;
}

const AuthMethod = builder.enumType('AuthMethod', {
  description: 'session: signed in with a cookie; api_token: Authorization: Bearer FLT_…',
  values: ['session', 'api_token'] as const,
});

const Viewer = builder.objectRef<ViewerShape>('Viewer').implement({
  description: 'Who is calling, and with which rights.',
  fields: (t) => ({
    role: t.field({
      type: Role,
      description: "The rights of this caller (an API token's may be below its user's).",
      resolve: (v) => v.actor.role ?? 'viewer',
    }),
    authMethod: t.field({ type: AuthMethod, resolve: (v) => v.method }),
    user: t.prismaField({
      type: 'User',
      resolve: (query, v, _args, ctx) =>
        ctx.fleet.db.user.findUniqueOrThrow({ ...query, where: { id: v.actor.id } }),
    }),
  }),
});

function viewerOf(ctx: GraphQLContext): ViewerShape | null {
  const { actor, method } = ctx.auth;
  return actor?.id && method ? { actor: { ...actor, id: actor.id }, method } : null;
}

builder.queryField('viewer', (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    description: 'The signed-in user or API token; null when anonymous.',
    authScopes: { public: true },
    resolve: (_root, _args, ctx) => viewerOf(ctx),
  }),
);

builder.queryField('setupRequired', (t) =>
  t.boolean({
    description:
      'True while the server has no users: the sign-in page then explains how to create the first admin.',
    authScopes: { public: true },
    resolve: async (_root, _args, ctx) => (await countUsers(ctx.fleet)) === 0,
  }),
);

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({ email: t.string({ required: true }), password: t.string({ required: true }) }),
});
const LogoutInput = builder.inputType('LogoutInput', {
  fields: (t) => ({
    everywhere: t.boolean({ description: "End every session of this user, not only this one's." }),
  }),
});

const LoginPayload = builder.objectRef<ViewerShape>('LoginPayload').implement({
  fields: (t) => ({ viewer: t.field({ type: Viewer, resolve: (v) => v }) }),
});
const LogoutPayload = builder.objectRef<{ endedSessions: number }>('LogoutPayload').implement({
  fields: (t) => ({ endedSessions: t.exposeInt('endedSessions') }),
});

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginPayload,
    description:
      'Sign in over HTTP: sets the session cookie. Failed attempts are limited per email and address.',
    authScopes: { public: true },
    args: { input: t.arg({ type: LoginInput, required: true }) },
    errors: { types: [InvalidCredentialsError, TooManyAttemptsError, ValidationError], directResult: true },
    resolve: async (_root, { input }, ctx) => {
      if (ctx.transport !== 'http')
        throw new GraphQLError('sign in over HTTP', { extensions: { code: 'BAD_REQUEST' } });
      const limiter = ctx.services.loginLimiter;
      const wait = await limiter.retryAfter(input.email, ctx.clientAddress);
      if (wait > 0) throw new TooManyAttemptsError(wait);
      const session = await runFleet(() =>
        startSession(ctx.fleet, input.email, input.password, { clientAddress: ctx.clientAddress }),
      ).catch(async (error: unknown) => {
        if (error instanceof InvalidCredentialsError) await limiter.fail(input.email, ctx.clientAddress);
        throw error;
      });
      await limiter.succeed(input.email);
      ctx.identity.userId = session.user.id;
      ctx.setCookie(sessionCookie(session.token, session.expiresAt, ctx.secure));
      return { actor: { ...userActor(session.user), id: session.user.id }, method: 'session' as const };
    },
  }),
  logout: t.field({
    type: LogoutPayload,
    description: 'End this session (or every session of its user) and clear the cookie.',
    authScopes: { public: true },
    args: { input: t.arg({ type: LogoutInput, required: true }) },
    errors: { types: [ValidationError], directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const { actor, sessionId } = ctx.auth;
      const endedSessions =
        actor && sessionId ? await endSession(ctx.fleet, actor, sessionId, input.everywhere ?? false) : 0;
      if (ctx.transport === 'http') ctx.setCookie(clearedSessionCookie(ctx.secure));
      return { endedSessions };
    },
  }),
}));
