/**
 * The agent query language over GraphQL: INVALID_AGENT_QUERY errors for AgentFilter.query and
 * agentQueryAssist (autocomplete). The language itself lives in api/fleet/agent-query.ts.
 */
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
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
