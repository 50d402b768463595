/**
 * One home per enum and constant: the platform list, action types, the empty config, the error
 * codes shared by the agent protocol and the fleet, FieldIssue and component kinds. Derived copies
 * (GraphQL enums, the Prisma enum, FleetErrorCode) must equal their source; literal copies in
 * api/ and agent/ fail the test naming the file. The server's Node flags live in `npm start`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraphQLEnumType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EMPTY_CONFIG, ErrorCode, Platform } from '../api/protocol/v1.ts';
import { ActionType } from '../api/protocol/actions.ts';
import { FleetErrorCode } from '../api/fleet/errors.ts';
import { COMPONENT_KINDS } from '../api/fleet/vector/catalogue-types.ts';
import { Platform as PrismaPlatform } from '../api/generated/prisma/enums.ts';
import { schema } from '../api/graphql/schema/index.ts';
import { serverArgs } from './bench/lib.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Source files (not generated) under the given folders, as repository paths. */
function sources(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|vue)$/.test(e.name) && !e.parentPath.includes('generated'))
      .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name))),
  );
}

/** Files under api/ and agent/ whose text matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return sources('api', 'agent').filter((file) =>
    pattern.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
  );
}

/** `text` as a string literal in code ('…' or "…"; backticks are left to doc comments). */
const quoted = (text: string) => new RegExp(`['"]${text.replace(/[{}[\]]/g, '\\$&')}['"]`);

function enumValues(s: GraphQLSchema, name: string): string[] {
  const type = s.getType(name);
  if (!(type instanceof GraphQLEnumType)) throw new Error(`${name} is not an enum`);
  return type.getValues().map((v) => v.value as string);
}

describe('one home per enum and constant', () => {
  it('derives the platform list from the protocol: GraphQL, Prisma and no literal copies', () => {
    expect(enumValues(schema, 'Platform')).toEqual([...Platform.options].sort());
    expect(Object.values(PrismaPlatform).sort()).toEqual([...Platform.options].sort());
    expect(filesMatching(/['"]linux['"]\s*,\s*['"]kubernetes['"]/)).toEqual(['api/protocol/v1.ts']);
    expect(filesMatching(/type Platform\s*=/)).toEqual(['api/protocol/v1.ts']);
  });

  it('derives the action types from the protocol', () => {
    expect(enumValues(schema, 'ActionType')).toEqual([...ActionType.options].sort());
    expect(filesMatching(/values:\s*\[\s*['"]upgrade_agent/)).toEqual([]);
  });

  it('writes the empty config once', () => {
    expect(EMPTY_CONFIG).toBe('{}');
    expect(filesMatching(quoted(EMPTY_CONFIG))).toEqual(['api/protocol/v1.ts']);
  });

  it('spells each protocol error code once; the fleet takes the shared ones from it', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(filesMatching(quoted(code)), code).toEqual(['api/protocol/v1.ts']);
    }
    const shared = Object.values(FleetErrorCode).filter((code) =>
      (Object.values(ErrorCode) as string[]).includes(code),
    );
    expect(shared.length).toBeGreaterThanOrEqual(8);
    expect(enumValues(schema, 'ErrorCode')).toEqual(expect.arrayContaining(Object.values(FleetErrorCode)));
  });

  it('declares FieldIssue once, in api/fleet/errors.ts', () => {
    const declares = /(?:interface|class)\s+FieldIssue\b|type\s+FieldIssue\s*=/;
    expect(filesMatching(declares)).toEqual(['api/fleet/errors.ts']);
  });

  it('builds the ComponentKind enum from the catalogue kinds', () => {
    expect(enumValues(schema, 'ComponentKind')).toEqual([...COMPONENT_KINDS].sort());
  });

  it('starts the server with the Node flags of npm start in the image and the benchmarks', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'api/deploy/Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd, 'the Dockerfile has an exec-form CMD').toBeDefined();
    expect(JSON.parse(cmd!)).toEqual(['node_modules/.bin/tsx', ...serverArgs()]);
    expect(serverArgs()).toContain('--max-semi-space-size=64');
  });
});
