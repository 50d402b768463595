/** api/protocol/telemetry.ts → parseTelemetry: lenient, part by part, bounded. Needs no database. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_TELEMETRY_COMPONENTS,
  MAX_TELEMETRY_LOG_CHARS,
  MAX_TELEMETRY_REJECTIONS,
  ComponentTelemetry,
  HostTelemetry,
  parseTelemetry,
  plainComponent,
  plainHost,
  Telemetry,
} from '../../api/protocol/telemetry.ts';

function component(id: string, overrides: Partial<ComponentTelemetry> = {}): ComponentTelemetry {
  return {
    id,
    kind: 'sink',
    type: 'http',
    eventsIn: 10,
    eventsOut: 9,
    bytesIn: 1000,
    bytesOut: 900,
    errors: 1,
    discarded: 0,
    ...overrides,
  };
}

const full: Telemetry = {
  vector: { uptimeSeconds: 12.5, reloads: 2 },
  components: [
    component('in', { kind: 'source', type: 'file' }),
    component('out', { bufferEvents: 3, bufferBytes: 300 }),
  ],
  host: { cpuPercent: 12.5, load1: 0.5, load5: 0.4, load15: 0.3, memoryUsedBytes: 1, agentCpuSeconds: 1.5 },
  logs: [{ time: '2026-12-06T09:20:01.000Z', level: 'warn', message: 'disk is slow' }],
};

describe('parseTelemetry', () => {
  it('keeps a valid telemetry object whole, and rejects nothing', () => {
    expect(parseTelemetry(full)).toEqual({ telemetry: full, rejected: [] });
  });

  it('yields nothing for an absent telemetry, and drops a non-object whole', () => {
    expect(parseTelemetry(undefined)).toEqual({ telemetry: undefined, rejected: [] });
    expect(parseTelemetry([1, 2])).toEqual({
      telemetry: undefined,
      rejected: ['telemetry: must be an object'],
    });
    expect(parseTelemetry('x').telemetry).toBeUndefined();
  });

  it('drops host and vector fields one by one, keeping the good ones', () => {
    const { telemetry, rejected } = parseTelemetry({
      vector: { uptimeSeconds: -1, reloads: 4 },
      host: { cpuPercent: 140, load1: 0.2, memoryUsedBytes: 'lots', unknownField: 1 },
    });
    expect(telemetry).toEqual({ vector: { reloads: 4 }, host: { load1: 0.2 } });
    expect(rejected).toHaveLength(3);
    expect(rejected[0]).toMatch(/^telemetry\.vector\.uptimeSeconds: /);
    expect(rejected.slice(1).map((r) => r.split(':')[0])).toEqual([
      'telemetry.host.cpuPercent',
      'telemetry.host.memoryUsedBytes',
    ]);
  });

  it('drops bad components and log lines entry by entry, naming the field', () => {
    const { telemetry, rejected } = parseTelemetry({
      components: [component('a'), component('b', { eventsIn: -5 }), { id: 'c' }, component('d\u0000')],
      logs: [
        { time: 'yesterday', level: 'warn', message: 'x' },
        { time: '2026-12-06T09:20:01Z', level: 'error', message: 'y'.repeat(MAX_TELEMETRY_LOG_CHARS + 1) },
        { time: '2026-12-06T09:20:01Z', level: 'error', message: 'kept' },
      ],
    });
    expect(telemetry?.components?.map((c) => c.id)).toEqual(['a']);
    expect(telemetry?.logs?.map((l) => l.message)).toEqual(['kept']);
    expect(rejected.map((r) => r.split(':')[0])).toEqual([
      'telemetry.components.1.eventsIn',
      'telemetry.components.2.kind',
      'telemetry.components.3.id',
      'telemetry.logs.0.time',
      'telemetry.logs.1.message',
    ]);
  });

  it('keeps the first MAX_TELEMETRY_COMPONENTS components and says how many it dropped', () => {
    const many = Array.from({ length: MAX_TELEMETRY_COMPONENTS + 3 }, (_, i) => component(`c${i}`));
    const { telemetry, rejected } = parseTelemetry({ components: many });
    expect(telemetry?.components).toHaveLength(MAX_TELEMETRY_COMPONENTS);
    expect(rejected).toEqual([
      `telemetry.components: at most ${MAX_TELEMETRY_COMPONENTS} entries; 3 dropped`,
    ]);
  });

  it('drops a telemetry object over the size budget whole', () => {
    const logs = Array.from({ length: 20 }, () => ({
      time: '2026-12-06T09:20:01Z',
      level: 'warn',
      message: 'z'.repeat(2000),
    }));
    const { telemetry, rejected } = parseTelemetry({ logs });
    expect(telemetry).toBeUndefined();
    expect(rejected[0]).toMatch(/^telemetry: must be at most \d+ bytes of JSON$/);
  });

  it('caps the rejections it lists', () => {
    const bad = Array.from({ length: 30 }, () => ({ id: 1 }));
    const { rejected } = parseTelemetry({ components: bad.slice(0, MAX_TELEMETRY_COMPONENTS) });
    expect(rejected).toHaveLength(MAX_TELEMETRY_REJECTIONS);
    expect(rejected.at(-1)).toBe(`telemetry: ${30 - MAX_TELEMETRY_REJECTIONS + 1} more problems`);
  });

  it('never throws, and whatever it keeps validates against the strict schema', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true }), fc.jsonValue(), (anything, json) => {
        for (const raw of [anything, { components: [json], host: json, vector: json, logs: [json] }]) {
          const { telemetry } = parseTelemetry(raw);
          if (telemetry) expect(Telemetry.safeParse(telemetry).success).toBe(true);
        }
      }),
    );
  });

  it('accepts a component or host object without the schema only when the schema returns it unchanged', () => {
    const edge = fc.oneof(
      fc.constantFrom(0, -1, 0.5, 1, 100, 100.5, 1_000_000, 1_000_001, Number.MAX_SAFE_INTEGER, 2 ** 53),
      fc.double({ noNaN: true }),
      fc.constantFrom('', 'x', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(128), 'a'.repeat(129), 'nul\u0000'),
      fc.constantFrom('source', 'transform', 'sink', 'other'),
    );
    const keys = [...Object.keys(ComponentTelemetry.shape), ...Object.keys(HostTelemetry.shape), 'extra'];
    const candidate = fc.dictionary(fc.constantFrom(...keys), edge, { maxKeys: 14 });
    const good = fc.record({
      id: fc.string({ minLength: 1, maxLength: 130 }),
      kind: fc.constantFrom('source', 'transform', 'sink'),
      type: fc.string({ minLength: 1, maxLength: 66 }),
      eventsIn: edge,
      eventsOut: fc.nat(),
      bytesIn: fc.nat(),
      bytesOut: fc.nat(),
      errors: fc.nat(),
      discarded: fc.nat(),
    });
    let acceptedPlain = 0;
    fc.assert(
      fc.property(fc.oneof(candidate, good), (value) => {
        for (const [plain, schema] of [
          [plainComponent, ComponentTelemetry],
          [plainHost, HostTelemetry],
        ] as const) {
          if (plain(value) === undefined) continue;
          acceptedPlain++;
          const parsed = schema.safeParse(value);
          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual(value);
        }
      }),
      { seed: 15, numRuns: 2000 },
    );
    // The everyday shapes do take the short path.
    expect(acceptedPlain).toBeGreaterThan(100);
    expect(plainComponent(full.components![1])).toBe(full.components![1]);
    expect(plainHost(full.host)).toBe(full.host);
    // A key named like an Object.prototype member is not a field either.
    for (const key of ['__proto__', 'constructor', 'toString'])
      expect(plainHost(JSON.parse(`{"cpuPercent":1,"${key}":5}`))).toBeUndefined();
  });
});
