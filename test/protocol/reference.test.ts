/**
 * api/protocol/README.md is the protocol reference agent authors read: every route, header name,
 * error code, token prefix and limit exported by api/protocol/v1.ts must appear in it, so a change
 * to the contract cannot land without its documentation. Needs no database (unit project).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  DEFAULT_POLL_INTERVAL_SECONDS,
  ErrorCode,
  LONG_POLL_MAX_SECONDS,
  MAX_BODY_BYTES,
  MAX_PENDING_ACTIONS,
  TOKEN_PREFIX,
  headers,
  paths,
} from '../../api/protocol/v1.ts';

const reference = fs.readFileSync(path.resolve(import.meta.dirname, '../../api/protocol/README.md'), 'utf8');
/** Inline code (outside fenced blocks): the reference writes every name a program uses that way. */
const prose = reference.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
const quoted = new Set([...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]));
const mentions = (name: string) => [...quoted].some((q) => q === name || q.startsWith(`${name}?`));

/** A route path as the reference writes it: `:id`, `:actionId` and `:version` for the parameters. */
function documentedPath(build: string | ((param: string, second: string) => string), param: string): string {
  return typeof build === 'string'
    ? build
    : build('__param__', '__second__').replace('__param__', param).replace('__second__', ':actionId');
}

describe('api/protocol/README.md', () => {
  it('documents every error code', () => {
    const missing = Object.values(ErrorCode).filter((code) => !mentions(code));
    expect(missing).toEqual([]);
  });

  it('documents every header name', () => {
    const missing = Object.values(headers).filter((name) => !mentions(name));
    expect(missing).toEqual([]);
  });

  it('documents every route path', () => {
    const routes = Object.entries(paths).map(([name, build]) =>
      documentedPath(build, name === 'release' ? ':version' : ':id'),
    );
    expect(routes).toHaveLength(7);
    const missing = routes.filter((route) => !mentions(route));
    expect(missing).toEqual([]);
  });

  it('documents the token prefixes and the limits', () => {
    const missing = Object.values(TOKEN_PREFIX).filter((prefix) => !mentions(prefix));
    expect(missing).toEqual([]);
    expect(reference).toContain(`${MAX_BODY_BYTES.toLocaleString('en')} bytes`);
    expect(reference).toContain(`\`x-long-poll-max: ${LONG_POLL_MAX_SECONDS}\``);
    expect(reference).toContain(`at most ${MAX_PENDING_ACTIONS} actions`);
    expect(reference).toContain(
      `\`DEFAULT_HEARTBEAT_INTERVAL_SECONDS\` (${DEFAULT_HEARTBEAT_INTERVAL_SECONDS} s)`,
    );
    expect(reference).toContain(`\`DEFAULT_POLL_INTERVAL_SECONDS\` = ${DEFAULT_POLL_INTERVAL_SECONDS} s`);
  });
});
