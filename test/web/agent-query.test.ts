/** Client-side editing of agent query strings: terms, shortcut replacement, suggestions. */
import { describe, expect, it } from 'vitest';
import { applySuggestion, queryTerm, setTerm, splitTerms, termValue } from '../../web/src/lib/agent-query.ts';

describe('agent query editing', () => {
  it('splits at whitespace outside quotes', () => {
    expect(splitTerms(' status:offline  error:"no such sink" -platform:kubernetes ')).toEqual([
      { text: 'status:offline', from: 1, to: 15 },
      { text: 'error:"no such sink"', from: 17, to: 37 },
      { text: '-platform:kubernetes', from: 38, to: 58 },
    ]);
    expect(splitTerms('')).toEqual([]);
  });

  it('quotes values that need it', () => {
    expect(queryTerm('group', 'web')).toBe('group:web');
    expect(queryTerm('error', 'bad "sink" name')).toBe('error:"bad \\"sink\\" name"');
    expect(queryTerm('label.env', 'prod', '=')).toBe('label.env=prod');
  });

  it('reads and replaces one field, leaving negations and other terms alone', () => {
    const q = 'group:web "db-*" -status:offline status:online';
    expect(termValue(q, 'status')).toBe('online');
    expect(termValue(q, 'platform')).toBe('');
    expect(termValue('error:"a b"', 'error')).toBe('a b');
    expect(setTerm(q, 'status', 'offline')).toBe('group:web "db-*" -status:offline status:offline');
    expect(setTerm(q, 'group', '')).toBe('"db-*" -status:offline status:online');
    expect(setTerm('', 'platform', 'linux')).toBe('platform:linux');
  });

  it('applies a suggestion at its range and puts the cursor after it', () => {
    expect(applySuggestion('stat web', { insertText: 'status:', replaceFrom: 0, replaceTo: 4 })).toEqual({
      text: 'status: web',
      cursor: 7,
    });
    // Out-of-range ranges (query changed meanwhile) are clamped, never throw.
    expect(applySuggestion('ab', { insertText: 'x', replaceFrom: 5, replaceTo: 9 })).toEqual({
      text: 'abx',
      cursor: 3,
    });
  });
});
