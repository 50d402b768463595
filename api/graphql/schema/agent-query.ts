/**
 * The agent query language over GraphQL: INVALID_AGENT_QUERY errors for AgentFilter.query,
 * agentQueryAssist (autocomplete), and agentFailures (failing agents by error message, each with
 * the query selecting them). The language itself lives in api/fleet/agent-query.ts.
 */
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import { assertUuids } from '../errors.ts';
import { AGGREGATE_COST } from '../limits.ts';
import { agentFailures, MAX_FAILURE_GROUPS, type AgentFailure } from '../../fleet/failures.ts';
import { AgentQueryError, parseAgentQuery } from '../../fleet/agent-query.ts';
import {
  agentQueryAssist,
  type AgentQueryAssist as Assist,
  type AgentQuerySuggestion as Suggestion,
} from '../../fleet/agent-query-assist.ts';

/** The GraphQL error code of a malformed agent query. */
export const INVALID_AGENT_QUERY = 'INVALID_AGENT_QUERY';

/**
 * Parse `query`; on a syntax error throw a GraphQLError with extensions { code:
 * INVALID_AGENT_QUERY, position, length } and a message prefixed with `argument`.
 */
export function assertAgentQuery(query: string, argument: string): void {
  try {
    parseAgentQuery(query);
  } catch (error) {
    if (!(error instanceof AgentQueryError)) throw error;
    throw new GraphQLError(`${argument}: ${error.message}`, {
      extensions: { code: INVALID_AGENT_QUERY, position: error.position, length: error.length },
    });
  }
}

const SyntaxErrorRef = builder.objectRef<NonNullable<Assist['error']>>('AgentQuerySyntaxError').implement({
  description: 'What is wrong with an agent query, at `position` (0-based) for `length` characters.',
  fields: (t) => ({
    message: t.exposeString('message'),
    position: t.exposeInt('position'),
    length: t.exposeInt('length'),
  }),
});

const SuggestionRef = builder.objectRef<Suggestion>('AgentQuerySuggestion').implement({
  description: 'A completion: replace query[replaceFrom, replaceTo) with `insertText`.',
  fields: (t) => ({
    label: t.exposeString('label'),
    insertText: t.exposeString('insertText'),
    detail: t.exposeString('detail', { nullable: true }),
    replaceFrom: t.exposeInt('replaceFrom'),
    replaceTo: t.exposeInt('replaceTo'),
  }),
});

const AssistRef = builder.objectRef<Assist>('AgentQueryAssist').implement({
  fields: (t) => ({
    error: t.field({ type: SyntaxErrorRef, nullable: true, resolve: (a) => a.error }),
    suggestions: t.field({ type: [SuggestionRef], resolve: (a) => a.suggestions }),
  }),
});

builder.queryField('agentQueryAssist', (t) =>
  t.field({
    type: AssistRef,
    authScopes: { viewer: true },
    description:
      'Check an agent query and suggest completions for the word at `cursor`: field names, then values (statuses, groups, platforms, versions, label keys and values seen).',
    args: { query: t.arg.string({ required: true }), cursor: t.arg.int({ required: true }) },
    resolve: (_root, args, ctx) => agentQueryAssist(ctx.fleet.db, args.query, args.cursor),
  }),
);

const AgentFailureRef = builder.objectRef<AgentFailure>('AgentFailure').implement({
  description: "Agents failing to apply their group's newest config with the same error message.",
  fields: (t) => ({
    message: t.exposeString('message'),
    count: t.exposeInt('count'),
    firstSeenAt: t.expose('firstSeenAt', {
      type: 'DateTime',
      description: 'When the earliest of these agents first reported this error.',
    }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      description: 'The latest heartbeat of these agents (each repeats the error).',
    }),
    groups: t.prismaField({
      type: ['Group'],
      description: 'The groups these agents are in, by slug.',
      resolve: (query, failure, _args, ctx) =>
        ctx.fleet.db.group.findMany({
          ...query,
          where: { id: { in: failure.groupIds } },
          orderBy: { slug: 'asc' },
        }),
    }),
    query: t.exposeString('query', {
      description:
        'An agent query (AgentFilter.query) selecting exactly these agents, for lists and bulk actions.',
    }),
  }),
});

builder.queryField('agentFailures', (t) =>
  t.field({
    type: [AgentFailureRef],
    authScopes: { viewer: true },
    complexity: AGGREGATE_COST,
    description: `Agents whose config status is failed (of the fleet or group \`groupId\`), grouped by error message, most agents first (at most ${MAX_FAILURE_GROUPS} messages).`,
    args: { groupId: t.arg.id() },
    resolve: (_root, args, ctx) => {
      assertUuids(args.groupId ? [args.groupId] : [], 'groupId');
      return agentFailures(ctx.fleet.db, args.groupId ?? null);
    },
  }),
);
