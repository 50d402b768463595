/**
 * The agent query parser, table-driven: what each query parses to, and for each malformed query
 * the error's position and length (what the dashboard underlines) and what the message asks for.
 * Also the sort keys the version comparisons and the natural hostname order rely on.
 */
import { describe, expect, it } from 'vitest';
import {
  AgentQueryError,
  MAX_AGENT_QUERY_LENGTH,
  parseAgentQuery,
  quoteQueryValue,
  tokenize,
} from '../../api/fleet/agent-query.ts';
import { naturalKey, versionKey } from '../../api/fleet/sort-keys.ts';

const exact = (text: string) => ({ text, anchorStart: true, anchorEnd: true });

const PARSES: [string, unknown][] = [
  ['', { kind: 'and', items: [] }],
  ['   ', { kind: 'and', items: [] }],
  ['status:offline', { kind: 'status', value: 'offline' }],
  ['status=ONLINE', { kind: 'status', value: 'online' }],
  ['configstatus:failed', { kind: 'configStatus', value: 'failed' }],
  ['platform:kubernetes', { kind: 'platform', value: 'kubernetes' }],
  ['group:web', { kind: 'text', field: 'group', pattern: exact('web') }],
  ['hostname:web-1', { kind: 'text', field: 'hostname', pattern: exact('web-1') }],
  [
    'web',
    { kind: 'text', field: 'hostname', pattern: { text: 'web', anchorStart: false, anchorEnd: false } },
  ],
  [
    'web*',
    { kind: 'text', field: 'hostname', pattern: { text: 'web', anchorStart: true, anchorEnd: false } },
  ],
  [
    '"db-*"',
    { kind: 'text', field: 'hostname', pattern: { text: 'db-', anchorStart: true, anchorEnd: false } },
  ],
  [
    '*.eu',
    { kind: 'text', field: 'hostname', pattern: { text: '.eu', anchorStart: false, anchorEnd: true } },
  ],
  ['label.env=prod', { kind: 'label', key: 'env', pattern: exact('prod') }],
  ['label.env:"a b"', { kind: 'label', key: 'env', pattern: exact('a b') }],
  ['label.team', { kind: 'label', key: 'team', pattern: null }],
  ['error:"bad \\"x\\" \\\\ y"', { kind: 'text', field: 'error', pattern: exact('bad "x" \\ y') }],
  [
    'agentVersion:0.2.*',
    { kind: 'text', field: 'agentVersion', pattern: { text: '0.2.', anchorStart: true, anchorEnd: false } },
  ],
  ['agentVersion<0.2.0', { kind: 'compare', field: 'agentVersion', op: '<', key: versionKey('0.2.0') }],
  ['vectorVersion>=0.41', { kind: 'compare', field: 'vectorVersion', op: '>=', key: versionKey('0.41.0') }],
  ['-platform:kubernetes', { kind: 'not', item: { kind: 'platform', value: 'kubernetes' } }],
  ['-(-web)', { kind: 'not', item: { kind: 'not', item: expect.objectContaining({ kind: 'text' }) } }],
  [
    'status:offline group:web',
    {
      kind: 'and',
      items: [{ kind: 'status', value: 'offline' }, expect.objectContaining({ field: 'group' })],
    },
  ],
  [
    'a OR b c',
    {
      kind: 'or',
      items: [expect.objectContaining({ kind: 'text' }), { kind: 'and', items: expect.any(Array) }],
    },
  ],
  [
    'a AND b',
    {
      kind: 'and',
      items: [expect.objectContaining({ kind: 'text' }), expect.objectContaining({ kind: 'text' })],
    },
  ],
  [
    '-(status:online OR status:never_seen)',
    { kind: 'not', item: { kind: 'or', items: [expect.anything(), expect.anything()] } },
  ],
  [
    '"OR"',
    { kind: 'text', field: 'hostname', pattern: { text: 'OR', anchorStart: false, anchorEnd: false } },
  ],
];

describe('parseAgentQuery', () => {
  it.each(PARSES)('parses %j', (query, tree) => {
    expect(parseAgentQuery(query)).toEqual(tree);
  });
});

/** [query, position, length, part of the message] */
const ERRORS: [string, number, number, string][] = [
  ['status:', 7, 0, 'expected a value right after "status:" at the end'],
  ['status: offline', 6, 1, 'expected a value right after "status:"'],
  ['status:gone', 7, 4, 'status is one of online, offline, never_seen'],
  ['colour:red', 0, 6, 'unknown field "colour"'],
  ['web "db-', 4, 4, 'unterminated string'],
  ['(status:online', 14, 0, 'expected ")" at the end'],
  ['status:online)', 13, 1, 'unexpected ")"'],
  ['- web', 0, 1, 'expected a term right after "-"'],
  ['a OR', 4, 0, 'expected a term at the end'],
  ['OR a', 0, 2, 'expected a term, found "OR"'],
  [':x', 0, 1, 'expected a term, found ":"'],
  ['agentVersion<banana', 13, 6, 'expected a version such as 1.2.3'],
  ['hostname<web', 8, 1, '"<" compares versions only'],
  ['label.=x', 0, 6, 'expected a label key after "label."'],
  ['label.env<2', 9, 1, 'labels compare with ":" or "="'],
  ['web*01', 3, 1, '"*" is allowed only at the start or end'],
  ['x "a*b"', 4, 1, '"*" is allowed only at the start or end'],
  ['"status":x', 0, 8, 'a field name is not quoted'],
  ['group:web:x', 9, 1, 'expected a term, found ":"'],
  ['a'.repeat(MAX_AGENT_QUERY_LENGTH + 1), MAX_AGENT_QUERY_LENGTH, 1, 'characters'],
];

describe('parse errors', () => {
  it.each(ERRORS)('%j fails at %i (+%i)', (query, position, length, message) => {
    let caught: unknown;
    try {
      parseAgentQuery(query);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AgentQueryError);
    const e = caught as AgentQueryError;
    expect({ position: e.position, length: e.length }).toEqual({ position, length });
    expect(e.message).toContain(message);
    expect(e.code).toBe('validation_failed');
  });
});

describe('tokens and quoting', () => {
  it('keeps dashes inside words and treats a leading one as negation', () => {
    expect(tokenize('-web-1 (x)').map((t) => [t.type, t.value, t.start])).toEqual([
      ['not', '-', 0],
      ['word', 'web-1', 1],
      ['lparen', '(', 7],
      ['word', 'x', 8],
      ['rparen', ')', 9],
    ]);
  });

  it('quotes values that are not plain words, and they parse back', () => {
    for (const value of ['plain', 'a b', 'say "hi"', 'back\\slash', '-dash', 'x:y', '']) {
      const query = `error:${quoteQueryValue(value)}`;
      expect(parseAgentQuery(query)).toEqual({ kind: 'text', field: 'error', pattern: exact(value) });
    }
    expect(quoteQueryValue('web-1')).toBe('web-1');
  });
});

describe('sort keys', () => {
  it('orders versions semantically', () => {
    const ordered = [
      '0.1.0',
      '0.2.0-alpha',
      '0.2.0-rc.2',
      '0.2.0-rc.10',
      '0.2.0',
      'v0.2.1',
      '0.10.0',
      '1',
      '1.0.1+build.5',
    ];
    const keys = ordered.map((v) => versionKey(v));
    expect(keys.every((k) => k !== null)).toBe(true);
    expect([...keys].sort()).toEqual(keys);
    expect(versionKey('0.58.0 (x86_64-unknown-linux-gnu)')).toBe(versionKey('0.58.0'));
    for (const bad of ['', 'dev', '1.2.3.4', '1.2x', '12345678901.0.0']) expect(versionKey(bad)).toBeNull();
  });

  it('orders hostnames naturally', () => {
    const ordered = ['Web-1', 'web-2', 'web-10', 'web-100', 'web-100a', 'web-a'];
    expect([...ordered].sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : 1))).toEqual(ordered);
  });
});
