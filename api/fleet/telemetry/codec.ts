/**
 * The compact stored form of telemetry: a component list (ids, kinds, types) is stored once in
 * telemetry_component_sets and named by its id; per-component numbers are flat arrays in the order
 * of that set (COUNTERS per component for totals and rates, 2 for buffers, 4 AgentCounts for the
 * history). Pure conversions between the stored arrays and the objects rates.ts computes with, plus
 * the one lookup of component sets (immutable rows, cached per database client).
 */
import type { FleetContext } from '../context.ts';
import type { ComponentKind } from '../../protocol/telemetry.ts';
import {
  COUNTERS,
  emptyBucket,
  type AgentCounts,
  type Counts,
  type OpenBucket,
  type StoredComponent,
} from './rates.ts';

/** A component list as stored once (telemetry_component_sets). */
export interface ComponentSet {
  id: number;
  ids: string[];
  kinds: ComponentKind[];
  types: string[];
}

/** The AgentCounts a history bucket keeps per component, in stored order. */
export const AGENT_COUNTS = ['eventsIn', 'eventsOut', 'errors', 'discarded'] as const;
/** Leading entries of an open bucket's array (then AGENT_COUNTS totals, then 4 per component). */
const BUCKET_HEAD = 7;

/** The unique key of a component list (JSON of its id, kind and type triples: unambiguous for any text). */
export function setKey(components: { id: string; kind: ComponentKind; type: string }[]): string {
  return JSON.stringify(components.map((c) => [c.id, c.kind, c.type]));
}

/**
 * Known sets per fleet context (one per server): sets never change while their table lives, and a
 * database emptied and used again (the test pool) gets a new context, so no stale id survives it.
 */
const cache = new WeakMap<FleetContext, { byId: Map<number, ComponentSet>; byKey: Map<string, number> }>();
function cacheOf(ctx: FleetContext) {
  let c = cache.get(ctx);
  if (!c) cache.set(ctx, (c = { byId: new Map(), byKey: new Map() }));
  return c;
}

function remember(ctx: FleetContext, rows: ComponentSet[]): void {
  const c = cacheOf(ctx);
  for (const r of rows) {
    c.byId.set(r.id, r);
    c.byKey.set(setKey(r.ids.map((id, i) => ({ id, kind: r.kinds[i], type: r.types[i] }))), r.id);
  }
}

/**
 * The set ids of the component lists `keys` (setKey), creating missing sets in autocommitted
 * statements (outside any flush transaction, so a rolled-back flush never leaves an id in the cache
 * that does not exist). Rejects when the database fails.
 */
export async function resolveSets(ctx: FleetContext, keys: Iterable<string>): Promise<Map<string, number>> {
  const c = cacheOf(ctx);
  const missing = [...new Set(keys)].filter((k) => !c.byKey.has(k));
  // New lists are rare (a pipeline changed): one statement each.
  for (const key of missing) {
    const triples = JSON.parse(key) as [string, string, string][];
    await ctx.db.$executeRawUnsafe(
      `INSERT INTO telemetry_component_sets (key, ids, kinds, types) VALUES ($1, $2::text[], $3::text[], $4::text[])
       ON CONFLICT (key) DO NOTHING`,
      key,
      triples.map((t) => t[0]),
      triples.map((t) => t[1]),
      triples.map((t) => t[2]),
    );
  }
  if (missing.length > 0) remember(ctx, await readSets(ctx.db, { keys: missing }));
  return new Map([...new Set(keys)].map((k) => [k, c.byKey.get(k)!]));
}

async function readSets(
  db: FleetContext['db'],
  by: { keys?: string[]; ids?: number[] },
): Promise<ComponentSet[]> {
  const rows = await db.$queryRawUnsafe<ComponentSet[]>(
    by.keys
      ? 'SELECT id, ids, kinds, types FROM telemetry_component_sets WHERE key = ANY($1::text[])'
      : 'SELECT id, ids, kinds, types FROM telemetry_component_sets WHERE id = ANY($1::int[])',
    by.keys ?? by.ids,
  );
  return rows.map((r) => ({ id: r.id, ids: r.ids ?? [], kinds: r.kinds ?? [], types: r.types ?? [] }));
}

/** The component sets with ids `ids` (cached: sets never change). Rejects when the database fails. */
export async function componentSets(
  ctx: FleetContext,
  ids: Iterable<number>,
): Promise<Map<number, ComponentSet>> {
  const c = cacheOf(ctx);
  const wanted = [...new Set(ids)];
  const missing = wanted.filter((id) => !c.byId.has(id));
  if (missing.length > 0) remember(ctx, await readSets(ctx.db, { ids: missing }));
  return new Map(wanted.flatMap((id) => (c.byId.has(id) ? [[id, c.byId.get(id)!] as const] : [])));
}

/** A PostgreSQL array literal of numbers (null and NaN become NaN, which float columns keep). */
export function arrayLiteral(values: readonly (number | null | undefined)[]): string {
  // Loops rather than map/join: this runs for every array of every agent at each flush.
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) text += ',';
    text += v === null || v === undefined || Number.isNaN(v) ? 'NaN' : String(v);
  }
  return `${text}}`;
}

/**
 * One statement parameter for a column of values that need no quoting in an array literal
 * (numbers, uuids, ISO times; null and undefined become NULL): the literal is built here, once,
 * instead of pg quoting and escaping each of a flush slice's values (a third of the telemetry
 * flush's allocations went to that).
 */
export function columnLiteral(values: readonly (number | string | null | undefined)[]): string {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) text += ',';
    text += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${text}}`;
}

/** One statement parameter (text[]) for a column of array literals (arrayLiteral: no quote or backslash inside). */
export function literalsColumn(literals: readonly string[]): string {
  const elements = literals.length === 0 ? '' : `"${literals.join('","')}"`;
  return `{${elements}}`;
}

const orNull = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);

/** The stored per-component arrays of a latest row as StoredComponent objects. */
export function decodeComponents(
  set: ComponentSet,
  totals: readonly number[],
  rates: readonly number[] | null,
  buffers: readonly number[] | null,
): StoredComponent[] {
  return set.ids.map((id, i) => {
    const at = i * COUNTERS.length;
    const bufferEvents = orNull(buffers?.[i * 2]);
    const bufferBytes = orNull(buffers?.[i * 2 + 1]);
    return {
      id,
      kind: set.kinds[i],
      type: set.types[i],
      totals: countsAt(totals, at),
      rates: rates && rates.length > 0 ? countsAt(rates, at) : null,
      ...(bufferEvents !== null ? { bufferEvents } : {}),
      ...(bufferBytes !== null ? { bufferBytes } : {}),
    };
  });
}

/** The flat totals, rates (empty for a baseline) and buffers of `components`, in their order. */
export function encodeComponents(components: StoredComponent[]): {
  totals: number[];
  rates: number[];
  buffers: (number | null)[];
} {
  const baseline = components.some((c) => c.rates === null);
  const totals: number[] = [];
  const rates: number[] = [];
  const buffers: (number | null)[] = [];
  for (const c of components) {
    for (const name of COUNTERS) totals.push(c.totals[name]);
    if (!baseline) for (const name of COUNTERS) rates.push(c.rates![name]);
    buffers.push(c.bufferEvents ?? null, c.bufferBytes ?? null);
  }
  return { totals, rates, buffers };
}

/** The COUNTERS of one component, starting at `at` of a flat array (0 for a missing one). */
function countsAt(flat: readonly number[], at: number): Counts {
  const c = {} as Counts;
  for (let k = 0; k < COUNTERS.length; k++) c[COUNTERS[k]] = Number(flat[at + k] ?? 0);
  return c;
}

const agentCountsAt = (flat: readonly number[], at: number): AgentCounts => {
  const c = {} as Record<(typeof AGENT_COUNTS)[number], number>;
  for (let k = 0; k < AGENT_COUNTS.length; k++) c[AGENT_COUNTS[k]] = Number(flat[at + k] ?? 0);
  return c as unknown as AgentCounts;
};

/** An open bucket stored as an array whose components follow `ids`. */
export function decodeBucket(flat: readonly number[] | null, ids: readonly string[]): OpenBucket {
  if (!flat || flat.length < BUCKET_HEAD + AGENT_COUNTS.length) return emptyBucket();
  const bucket: OpenBucket = {
    samples: flat[0],
    cpuSum: flat[1],
    cpuSamples: flat[2],
    memoryUsedBytes: orNull(flat[3]),
    memoryAvailableBytes: orNull(flat[4]),
    diskUsedBytes: orNull(flat[5]),
    diskTotalBytes: orNull(flat[6]),
    totals: agentCountsAt(flat, BUCKET_HEAD),
    components: {},
  };
  const start = BUCKET_HEAD + AGENT_COUNTS.length;
  ids.forEach((id, i) => {
    if (flat.length >= start + (i + 1) * AGENT_COUNTS.length)
      bucket.components[id] = agentCountsAt(flat, start + i * AGENT_COUNTS.length);
  });
  return bucket;
}

/** The array of an open bucket, its components in the order of `ids` (sums of other ids are dropped). */
export function encodeBucket(bucket: OpenBucket, ids: readonly string[]): number[] {
  const flat = [
    bucket.samples,
    bucket.cpuSum,
    bucket.cpuSamples,
    bucket.memoryUsedBytes ?? NaN,
    bucket.memoryAvailableBytes ?? NaN,
    bucket.diskUsedBytes ?? NaN,
    bucket.diskTotalBytes ?? NaN,
  ];
  pushCounts(flat, bucket.totals);
  for (const id of ids) pushCounts(flat, bucket.components[id]);
  return flat;
}

/** A closed bucket's per-component array for telemetry_agent_buckets (AGENT_COUNTS per id of `ids`). */
export function historyComponents(bucket: OpenBucket, ids: readonly string[]): number[] {
  const flat: number[] = [];
  for (const id of ids) pushCounts(flat, bucket.components[id]);
  return flat;
}

/** Append the AGENT_COUNTS of `counts` (0 for a missing one) to `flat`. */
function pushCounts(flat: number[], counts: AgentCounts | undefined): void {
  for (const name of AGENT_COUNTS) flat.push(counts?.[name] ?? 0);
}
