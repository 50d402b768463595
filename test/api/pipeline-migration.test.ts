/**
 * The pipeline-versions migration on a database holding groups of the old model (inputs, outputs,
 * routing overrides): every group's version N (= its config version) gets a document that renders
 * byte-identical YAML, with the same etag, to what agents were served; the old tables are gone.
 * A routing remap whose `<name>_routing` id would pass 63 characters gets a shortened, stable id
 * (the follow-up migration), so every migrated document can be edited and published.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../api/db.ts';
import { MIGRATIONS_DIR, applyMigrations, readMigrations } from '../../api/migrations.ts';
import { renderPipeline } from '../../api/fleet/vector/render.ts';
import { parseDocument, storedDocument } from '../../api/fleet/pipeline/document.ts';
import { pipelineProblems } from '../../api/fleet/pipeline/problems.ts';
import { ADMIN_URL, testBackend, withDatabase } from '../helpers/db.ts';
import { renderGroupConfig, type RenderInput, type RenderOutput } from './fixtures/legacy-render.ts';

const MIGRATION = '20261206092110_pipeline_versions';
const ROUTING_IDS = '20261206123500_pipeline_routing_ids';

/** Input names of the old model could take 63 characters: their `<name>_routing` did not fit an id. */
const LONG = `app-${'x'.repeat(59)}`;
const LONG_TOO = `app-${'x'.repeat(58)}y`;
/** The id the migrations give the remap of input `name` (first 54 characters, `_`, 8 of its MD5). */
function routingId(name: string): string {
  const id = `${name}_routing`;
  return id.length <= 63
    ? id
    : `${id.slice(0, 54)}_${crypto.createHash('md5').update(id).digest('hex').slice(0, 8)}`;
}
const PLATFORMS = ['linux', 'kubernetes'] as const;

let db: Db;
let cleanup: () => Promise<void>;
let before: string;
beforeAll(async () => {
  before = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-before-versions-'));
  for (const file of await readMigrations()) {
    if (file.name >= MIGRATION) continue;
    await fs.mkdir(path.join(before, file.name));
    await fs.writeFile(path.join(before, file.name, 'migration.sql'), file.sql);
  }
  if (testBackend() === 'pglite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-migrate-'));
    db = await openDb({ kind: 'pglite', dataDir: dir });
    cleanup = () => fs.rm(dir, { recursive: true, force: true });
  } else {
    const name = `flotilla_test_versions_${process.pid}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    db = await openDb({ kind: 'postgres', url: withDatabase(ADMIN_URL, name) });
    cleanup = async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  await applyMigrations(db, before);
}, 120_000);
afterAll(async () => {
  await db?.close();
  await cleanup?.();
  await fs.rm(before, { recursive: true, force: true });
});

type LegacyInput = Omit<RenderInput, 'id' | 'indexOverride' | 'sourcetypeOverride' | 'sourceOverride'> &
  Partial<Pick<RenderInput, 'indexOverride' | 'sourcetypeOverride' | 'sourceOverride'>>;
type LegacyOutput = Omit<RenderOutput, 'id' | 'inputIds'> & { reads?: string[] };

const source = (name: string, extra: Partial<LegacyInput> = {}): LegacyInput => ({
  name,
  type: 'demo_logs',
  options: { format: 'json', interval: 1.5 },
  platforms: ['linux', 'kubernetes'],
  enabled: true,
  ...extra,
});
const sink = (name: string, extra: Partial<LegacyOutput> = {}): LegacyOutput => ({
  name,
  type: 'console',
  options: { encoding: { codec: 'json' }, target: 'stdout' },
  enabled: true,
  ...extra,
});

/** Groups of the old model that exercise every rendering rule. */
const GROUPS: { slug: string; version: number; inputs: LegacyInput[]; outputs: LegacyOutput[] }[] = [
  { slug: 'empty', version: 1, inputs: [], outputs: [] },
  { slug: 'plain', version: 3, inputs: [source('demo')], outputs: [sink('out')] },
  {
    slug: 'routing',
    version: 7,
    inputs: [
      source('app', {
        indexOverride: 'main "prod" {{x}}',
        sourcetypeOverride: 'a\\b\n\tc\r',
        sourceOverride: null,
      }),
      source('journal', { type: 'journald', options: {}, platforms: ['linux'], sourceOverride: 'host' }),
      source('pods', { type: 'kubernetes_logs', options: {}, platforms: ['kubernetes'] }),
      source('off', { enabled: false, indexOverride: 'x' }),
      source('10', { options: { format: 'syslog' } }),
    ],
    outputs: [
      sink('all'),
      sink('only-journal', { reads: ['journal'] }),
      sink('pods-and-off', { reads: ['pods', 'off'] }),
      sink('disabled', { enabled: false }),
    ],
  },
  {
    slug: 'long-names',
    version: 2,
    inputs: [source(LONG, { indexOverride: 'main' }), source(LONG_TOO, { sourceOverride: 'other' })],
    outputs: [sink('all'), sink('one', { reads: [LONG_TOO] })],
  },
];

/** A PostgreSQL array literal (the adapters pass JS arrays differently). */
const pgArray = (values: string[]) => `{${values.join(',')}}`;

async function insertLegacy(): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const g of GROUPS) {
    const groupId = crypto.randomUUID();
    ids.set(g.slug, groupId);
    await db.prisma.$executeRaw`INSERT INTO groups (id, slug, name, config_version, updated_at)
      VALUES (${groupId}::uuid, ${g.slug}, ${g.slug}, ${g.version}, now())`;
    const inputs: RenderInput[] = g.inputs.map((i) => ({
      indexOverride: null,
      sourcetypeOverride: null,
      sourceOverride: null,
      ...i,
      id: crypto.randomUUID(),
    }));
    for (const i of inputs) {
      await db.prisma.$executeRaw`INSERT INTO inputs (id, group_id, name, type, options, platforms, enabled,
          index_override, sourcetype_override, source_override, updated_at)
        VALUES (${i.id}::uuid, ${groupId}::uuid, ${i.name}, ${i.type}, ${JSON.stringify(i.options)}::jsonb,
          ${pgArray(i.platforms)}::"Platform"[], ${i.enabled}, ${i.indexOverride}, ${i.sourcetypeOverride}, ${i.sourceOverride}, now())`;
    }
    const outputs: RenderOutput[] = g.outputs.map(({ reads, ...o }) => ({
      ...o,
      id: crypto.randomUUID(),
      inputIds: (reads ?? []).map((name) => inputs.find((i) => i.name === name)!.id),
    }));
    for (const o of outputs) {
      await db.prisma
        .$executeRaw`INSERT INTO outputs (id, group_id, name, type, options, enabled, input_ids, updated_at)
        VALUES (${o.id}::uuid, ${groupId}::uuid, ${o.name}, ${o.type}, ${JSON.stringify(o.options)}::jsonb,
          ${o.enabled}, ${pgArray(o.inputIds)}::uuid[], now())`;
    }
    // Read back as the old publisher did: options in the database's (jsonb) key order.
    const stored = await db.prisma.$queryRaw<{ id: string; options: Record<string, unknown> }[]>`
      SELECT id::text, options FROM inputs WHERE group_id = ${groupId}::uuid
      UNION ALL SELECT id::text, options FROM outputs WHERE group_id = ${groupId}::uuid`;
    const optionsOf = new Map(stored.map((r) => [r.id, r.options]));
    const legacy = {
      inputs: inputs.map((i) => ({ ...i, options: optionsOf.get(i.id)! })),
      outputs: outputs.map((o) => ({ ...o, options: optionsOf.get(o.id)! })),
    };
    for (const platform of PLATFORMS) {
      const rendered = renderGroupConfig(legacy, platform);
      await db.prisma.$executeRaw`INSERT INTO rendered_configs (id, group_id, version, platform, yaml, etag)
        VALUES (${crypto.randomUUID()}::uuid, ${groupId}::uuid, ${g.version}, ${platform}::"Platform",
          ${rendered.yaml}, ${rendered.etag})`;
    }
  }
  return ids;
}

describe('pipeline versions migration', () => {
  it('turns each group into version N whose document renders the served bytes and etag', async () => {
    const ids = await insertLegacy();
    expect(await applyMigrations(db, MIGRATIONS_DIR)).toEqual(
      expect.arrayContaining([MIGRATION, ROUTING_IDS]),
    );
    for (const g of GROUPS) {
      const groupId = ids.get(g.slug)!;
      const version = await db.prisma.pipelineVersion.findUniqueOrThrow({
        where: { groupId_version: { groupId, version: g.version } },
      });
      const document = storedDocument(version.document);
      expect(() => parseDocument(document)).not.toThrow();
      const renamed = g.inputs.filter((i) => routingId(i.name) !== `${i.name}_routing`);
      for (const platform of PLATFORMS) {
        const served = await db.prisma.renderedConfig.findUniqueOrThrow({
          where: { groupId_version_platform: { groupId, version: g.version, platform } },
        });
        const now = renderPipeline(document, platform);
        // A remap id too long for an id is shortened: the served YAML with the new id, same otherwise.
        const yaml = renamed.reduce(
          (text, i) => text.replaceAll(`${i.name}_routing`, routingId(i.name)),
          served.yaml,
        );
        expect({ slug: g.slug, platform, yaml: now.yaml }).toEqual({ slug: g.slug, platform, yaml });
        if (renamed.length === 0) expect(now.etag).toBe(served.etag);
      }
    }
    const long = storedDocument(
      (await db.prisma.pipelineVersion.findFirstOrThrow({ where: { groupId: ids.get('long-names')! } }))
        .document,
    );
    expect(long.components.map((c) => [c.id, c.id.length, c.inputs])).toEqual([
      ['all', 3, [routingId(LONG), routingId(LONG_TOO)]],
      [LONG, 63, []],
      [routingId(LONG), 63, [LONG]],
      [LONG_TOO, 63, []],
      [routingId(LONG_TOO), 63, [LONG_TOO]],
      ['one', 3, [routingId(LONG_TOO)]],
    ]);
    expect(routingId(LONG)).not.toBe(routingId(LONG_TOO));
    expect(pipelineProblems(long).filter((p) => p.severity === 'error')).toEqual([]);
    const routing = storedDocument(
      (await db.prisma.pipelineVersion.findFirstOrThrow({ where: { groupId: ids.get('routing')! } }))
        .document,
    );
    expect(routing.components.find((c) => c.id === 'app_routing')).toMatchObject({
      kind: 'transform',
      type: 'remap',
      inputs: ['app'],
    });
    expect(
      pipelineProblems(
        storedDocument(
          (await db.prisma.pipelineVersion.findFirstOrThrow({ where: { groupId: ids.get('plain')! } }))
            .document,
        ),
      ),
    ).toEqual([]);
    const tables = await db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('inputs', 'outputs')`;
    expect(Number(tables[0].n)).toBe(0);
  });
});
