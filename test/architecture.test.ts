/**
 * Import rules of architecture.md: agent ↛ api (except api/protocol); api/fleet ↛ rest|graphql|http;
 * api/cli ↛ the app (it loads fleet, db and config; `serve` alone loads api/main.ts);
 * api/protocol imports only zod and its own files; web ↛ api. Fails naming the file and the forbidden import.
 * And "api/fleet owns every write": no database write (Prisma or SQL) in the other server rooms.
 * And a GraphQL Prisma field with typed errors reads through selected(query) (api/graphql/selection.ts).
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

  it('api/protocol is a leaf: it imports only zod (and its own files)', () => {
    expect(violations('api/protocol', (s) => s !== 'zod' && !s.startsWith('api/protocol/'))).toEqual([]);
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

  it('finds database writes (self-check)', () => {
    expect(writesIn('await ctx.fleet.db.agent.updateMany({ where, data })')).toEqual(['agent.updateMany(']);
    expect(writesIn('tx.auditEvent.create({ data })')).toEqual(['auditEvent.create(']);
    expect(writesIn('await db.$executeRawUnsafe(sql)')).toEqual(['$executeRawUnsafe']);
    expect(writesIn('db.$queryRaw`UPDATE agents AS a SET x = 1`')).toEqual(['UPDATE agents AS a SET']);
    expect(writesIn('`INSERT INTO "actions" (id) VALUES ($1)`')).toEqual(['INSERT INTO "actions']);
    expect(writesIn('this.pending.delete(id); cache.set(key, v); db.agent.findMany({})')).toEqual([]);
  });

  it('no database write outside api/fleet (rest, graphql, cli, jobs, top-level api files)', () => {
    const files = [
      ...['api/rest', 'api/graphql', 'api/cli', 'api/jobs'].flatMap(filesUnder),
      ...fs
        .readdirSync(path.join(ROOT, 'api'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `api/${f}`),
    ];
    expect(files).toContain('api/rest/config.ts');
    // The one exception: api/migrations.ts records applied migrations in Prisma's own table.
    const found = files.flatMap((file) =>
      writesIn(fs.readFileSync(path.join(ROOT, file), 'utf8'))
        .filter((w) => !(file === 'api/migrations.ts' && w.endsWith('"_prisma_migrations')))
        .map((w) => `${file}: ${w}`),
    );
    expect(found).toEqual([]);
  });

  it('a Prisma field with typed errors spreads selected(query): a payload asked for only its __typename works', () => {
    // The errors plugin hands such a field `{ select: {} }` then, which Prisma refuses (a 500).
    const found = filesUnder('api/graphql/schema').flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split(/(?=\bt\.(?:prismaField|field|int|boolean|string)\()/)
        .filter((field) => field.startsWith('t.prismaField(') && field.includes('dataField'))
        .filter((field) => /\.\.\.query\b/.test(field))
        .map((field) => `${file}: ${field.slice(0, 60).replace(/\s+/g, ' ')}`),
    );
    expect(found).toEqual([]);
  });
});

/** Prisma model delegates (lower camel case), read from the schema. */
const MODELS = [
  ...fs.readFileSync(path.join(ROOT, 'prisma/schema.prisma'), 'utf8').matchAll(/^model (\w+)/gm),
].map(([, name]) => name[0].toLowerCase() + name.slice(1));
const WRITE =
  /\b(?:MODEL)\s*\.\s*(?:create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany)\s*\(|\$executeRaw(?:Unsafe)?\b|\b(?:INSERT\s+INTO\s+"?\w+|UPDATE\s+"?\w+"?(?:\s+AS\s+\w+)?\s+SET|DELETE\s+FROM\s+"?\w+)/g;
const WRITES = new RegExp(WRITE.source.replace('MODEL', MODELS.join('|')), 'g');

/** Every database write in `text`: Prisma write calls on a model, raw executes, SQL writes. */
function writesIn(text: string): string[] {
  return [...text.matchAll(WRITES)].map((m) => m[0].replace(/\s+/g, ' ').replace(/ ?\. ?/g, '.'));
}
