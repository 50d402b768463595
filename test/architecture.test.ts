/**
 * Import rules of architecture.md: agent ↛ api (except api/protocol); api/fleet ↛ rest|graphql|http;
 * api/cli ↛ the app (it loads fleet, db and config; `serve` alone loads api/main.ts);
 * api/protocol imports only zod; web ↛ api. Fails naming the file and the forbidden import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function filesUnder(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter(
      (e) =>
        e.isFile() &&
        /\.(ts|vue|mjs|js)$/.test(e.name) &&
        !e.parentPath.includes('generated') &&
        !e.parentPath.includes('node_modules'),
    )
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Imports of a file: relative ones resolved to repository paths, packages as their names. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    found.push(
      spec.startsWith('.')
        ? path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec))
        : spec,
    );
  }
  return found;
}

function violations(dir: string, forbidden: (spec: string) => boolean): string[] {
  return filesUnder(dir).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((spec) => `${file} imports ${spec}`),
  );
}

describe('architecture', () => {
  it('finds imports (self-check)', () => {
    expect(importsOf('api/app.ts')).toContain('api/rest/router.ts');
    expect(importsOf('api/app.ts')).toContain('node:http');
  });

  it('agent imports nothing from api/ except api/protocol', () => {
    expect(violations('agent', (s) => s.startsWith('api/') && !s.startsWith('api/protocol/'))).toEqual([]);
  });

  it('api/protocol is a leaf: it imports only zod', () => {
    expect(violations('api/protocol', (s) => s !== 'zod')).toEqual([]);
  });

  it('api/fleet imports neither the REST nor the GraphQL transport', () => {
    expect(
      violations(
        'api/fleet',
        (s) => /^api\/(rest|graphql|http)\//.test(s) || s === 'graphql' || s.startsWith('graphql-'),
      ),
    ).toEqual([]);
  });

  it('api/cli imports fleet, db and config, not the app, REST or GraphQL', () => {
    expect(
      violations(
        'api/cli',
        (s) => s === 'api/app.ts' || /^api\/(rest|graphql|http)\//.test(s) || s.startsWith('graphql'),
      ),
    ).toEqual([]);
  });

  it('web imports nothing from api/', () => {
    expect(violations('web', (s) => s.startsWith('api/') || s.includes('/api/'))).toEqual([]);
  });
});
