/**
 * Compiles an agent query syntax tree (agent-query.ts) to a Prisma `where`. Negations are pushed
 * down to the terms (De Morgan), and each term knows its own complement, so `-label.env=prod`
 * includes agents without an `env` label and `-error:"x"` agents without an error: SQL's NULLs never
 * make a negated term drop rows. Statuses come from agent-status.ts; a negated status is the union
 * of the other statuses.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from './context.ts';
import {
  AGENT_STATUSES,
  CONFIG_STATUSES,
  agentStatusWhere,
  configStatusesWhere,
  statusGroups,
  type StatusGroup,
} from './agent-status.ts';
import type { AgentQueryNode, CompareOp, Pattern } from './agent-query.ts';

type Where = Prisma.AgentWhereInput;

interface Env {
  now: Date;
  offlineAfterMs: number;
  /** Every group's baseline and pinned versions; loaded only when the query names a config status. */
  groups: StatusGroup[];
}

const FLIPPED: Record<CompareOp, CompareOp> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<' };
const PRISMA_OP = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' } as const;

/** A Prisma string filter for `pattern`. */
function stringFilter(
  pattern: Pattern,
  insensitive: boolean,
): { equals?: string; startsWith?: string; endsWith?: string; contains?: string; mode?: Prisma.QueryMode } {
  const mode = insensitive ? { mode: Prisma.QueryMode.insensitive } : {};
  const { text, anchorStart, anchorEnd } = pattern;
  if (anchorStart && anchorEnd) return { equals: text, ...mode };
  if (anchorStart) return { startsWith: text, ...mode };
  if (anchorEnd) return { endsWith: text, ...mode };
  return { contains: text, ...mode };
}

/** The JSON path filter on one label's value for `pattern` (labels are strings). */
function labelFilter(key: string, pattern: Pattern): Where {
  const { text, anchorStart, anchorEnd } = pattern;
  if (anchorStart && anchorEnd) return { labels: { path: [key], equals: text } };
  if (anchorStart) return { labels: { path: [key], string_starts_with: text } };
  if (anchorEnd) return { labels: { path: [key], string_ends_with: text } };
  return { labels: { path: [key], string_contains: text } };
}

const notAll = (where: Where): Where => ({ NOT: where });

function compile(node: AgentQueryNode, negated: boolean, env: Env): Where {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const items = node.items.map((item) => compile(item, negated, env));
      return (node.kind === 'and') !== negated ? { AND: items } : { OR: items };
    }
    case 'not':
      return compile(node.item, !negated, env);
    case 'status': {
      const statuses = negated ? AGENT_STATUSES.filter((s) => s !== node.value) : [node.value];
      return { OR: statuses.map((s) => agentStatusWhere(s, env.now, env.offlineAfterMs)) };
    }
    case 'configStatus': {
      const statuses = negated ? CONFIG_STATUSES.filter((s) => s !== node.value) : [node.value];
      return configStatusesWhere(statuses, env.groups, env.now, env.offlineAfterMs);
    }
    case 'platform':
      return negated ? { platform: { not: node.value } } : { platform: node.value };
    case 'text': {
      const filter = stringFilter(node.pattern, node.field === 'hostname' || node.field === 'group');
      const where: Where =
        node.field === 'group'
          ? { group: { slug: filter } }
          : node.field === 'error'
            ? { configErrorMessage: filter }
            : { [node.field]: filter };
      if (!negated) return where;
      // configErrorMessage is nullable: "not this error" includes agents without one.
      return node.field === 'error' ? { OR: [{ configErrorMessage: null }, notAll(where)] } : notAll(where);
    }
    case 'label': {
      const missing: Where = { labels: { path: [node.key], equals: Prisma.AnyNull } };
      const present: Where = { labels: { path: [node.key], not: Prisma.AnyNull } };
      if (!node.pattern) return negated ? missing : present;
      const value = labelFilter(node.key, node.pattern);
      return negated ? { OR: [missing, notAll(value)] } : { AND: [present, value] };
    }
    case 'compare': {
      const column = node.field === 'agentVersion' ? 'agentVersionKey' : 'vectorVersionKey';
      const op = PRISMA_OP[negated ? FLIPPED[node.op] : node.op];
      // An unparseable version (null key) is in no comparison's range, so it is in every negation.
      const range: Where = { [column]: { not: null, [op]: node.key } };
      return negated ? { OR: [{ [column]: null }, range] } : range;
    }
  }
}

function mentionsConfigStatus(node: AgentQueryNode): boolean {
  if (node.kind === 'configStatus') return true;
  if (node.kind === 'and' || node.kind === 'or') return node.items.some(mentionsConfigStatus);
  return node.kind === 'not' && mentionsConfigStatus(node.item);
}

/**
 * The Prisma `where` for a parsed query as of `now` (offline threshold `offlineAfterMs`). Costs one small query (the groups' versions)
 * when the query names a config status, none otherwise; rejects only when the database fails.
 */
export async function compileAgentQuery(
  db: Tx,
  node: AgentQueryNode,
  now: Date,
  offlineAfterMs: number,
): Promise<Where> {
  const groups = mentionsConfigStatus(node) ? await statusGroups(db) : [];
  return compile(node, false, { now, offlineAfterMs, groups });
}
