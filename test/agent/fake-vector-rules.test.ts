/**
 * The stand-in `vector` CLI against the Vector reference: each static config rule of
 * `vector validate`, and env interpolation. Validate runs in-process (Sandbox.runInProcess); run
 * mode in its own process.
 */
import { describe, expect, it } from 'vitest';
import { type Finished, SUITE, inSandbox, yaml, demo, remap, consoleSink } from './fake-vector-harness.ts';

const INVALID: [string, string, string][] = [
  [
    'IDs unique across kinds',
    yaml('sources:', demo('x'), 'sinks:', consoleSink('x', ['x'])),
    'More than one component with name "x" (source, sink).',
  ],
  [
    'no "." in IDs',
    yaml('sources:', demo('a.b'), 'sinks:', consoleSink('out', ['a.b'])),
    'Component name "a.b" should not contain a "."',
  ],
  [
    'sinks need inputs',
    yaml('sources:', demo('in'), 'sinks:', consoleSink('out', [])),
    'Sink "out" has no inputs',
  ],
  [
    'transforms need inputs',
    yaml('sources:', demo('in'), 'transforms:', remap('t', []), 'sinks:', consoleSink('out', ['in', 't'])),
    'Transform "t" has no inputs',
  ],
  [
    'inputs resolve',
    yaml('sources:', demo('in'), 'sinks:', consoleSink('out', ['nope'])),
    `Input "nope" for sink "out" doesn't match any components.`,
  ],
  [
    'named outputs resolve',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  r: {type: route, inputs: [in], route: {a: ".a == 1"}}',
      'sinks:',
      consoleSink('out', ['r.b']),
    ),
    `Input "r.b" for sink "out" doesn't match any components.`,
  ],
  [
    'globs match something',
    yaml('sources:', demo('in'), 'sinks:', consoleSink('out', ['in', 'db*'])),
    `Input "db*" for sink "out" doesn't match any components.`,
  ],
  [
    'no duplicate inputs',
    yaml('sources:', demo('in'), 'sinks:', consoleSink('out', ['in', 'in'])),
    'Sink "out" has input "in" duplicated 2 times',
  ],
  ['at least one source', yaml('sinks:', consoleSink('out', ['in'])), 'No sources defined in the config.'],
  ['at least one sink', yaml('sources:', demo('in')), 'No sinks defined in the config.'],
  [
    'known component types',
    yaml('sources:', '  in: {type: demo_logz, format: json}', 'sinks:', consoleSink('out', ['in'])),
    'unknown variant `demo_logz`, expected one of `datadog_agent`, `demo_logs`',
  ],
  [
    'required options',
    yaml('sources:', demo('in'), 'sinks:', '  out: {type: console, inputs: [in]}'),
    'missing field `encoding` in `sinks.out`',
  ],
  [
    'required nested options',
    yaml('sources:', demo('in'), 'sinks:', '  out: {type: console, inputs: [in], encoding: {}}'),
    'missing field `codec` in `sinks.out.encoding`',
  ],
  [
    'conditionally required options',
    yaml('sources:', '  in: {type: syslog, mode: tcp}', 'sinks:', consoleSink('out', ['in'])),
    'missing field `address` in `sources.in`',
  ],
  [
    'options required once their parent is given',
    yaml(
      'sources:',
      '  in: {type: file, include: [/var/log/*.log], multiline: {mode: halt_before}}',
      'sinks:',
      consoleSink('out', ['in']),
    ),
    'missing field `condition_pattern` in `sources.in.multiline`',
  ],
  [
    'enum values',
    yaml('sources:', demo('in'), 'sinks:', '  out: {type: console, inputs: [in], encoding: {codec: yaml}}'),
    'unknown variant `yaml`, expected one of `avro`, `cef`, `csv`, `gelf`, `json`, `logfmt`, `native`, `native_json`, `otlp`, `protobuf`, `raw_message`, `syslog`, `text` in `sinks.out.encoding.codec`',
  ],
  [
    'known top-level keys',
    yaml('foo: 1', 'sources:', demo('in'), 'sinks:', consoleSink('out', ['in'])),
    'unknown field `foo`',
  ],
  [
    'known options where the component denies unknown fields',
    yaml(
      'sources:',
      demo('in'),
      'sinks:',
      '  out: {type: console, inputs: [in], encoding: {codec: json}, targett: stdout}',
    ),
    'unknown field `targett`, expected one of `acknowledgements`, `encoding`, `framing`, `target` in `sinks.out`',
  ],
  [
    'no cycles',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      remap('a', ['in', 'b']),
      remap('b', ['a']),
      'sinks:',
      consoleSink('out', ['b']),
    ),
    'Cyclic dependency detected in the chain [ b -> a -> b ]',
  ],
  [
    'matching data types',
    yaml('sources:', demo('in'), 'sinks:', '  out: {type: prometheus_exporter, inputs: [in]}'),
    'Data type mismatch between in (["Log"]) and out (["Metric"])',
  ],
  [
    'reserved route names',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  r: {type: route, inputs: [in], route: {_default: "true"}}',
      'sinks:',
      consoleSink('out', ['r._default']),
    ),
    'Transform r cannot have a named output with reserved name: `_default`',
  ],
  [
    'the FAKE_VECTOR_INVALID marker',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  t: {type: remap, inputs: [in], source: ".x = \\"FAKE_VECTOR_INVALID\\""}',
      'sinks:',
      consoleSink('out', ['t']),
    ),
    'Transform "t": rejected by the fake vector (the config contains FAKE_VECTOR_INVALID)',
  ],
  [
    'VRL that compiles: the FAKE_VRL_COMPILE_ERROR marker',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  t: {type: remap, inputs: [in], source: ".x = 1 # FAKE_VRL_COMPILE_ERROR"}',
      'sinks:',
      consoleSink('out', ['t']),
    ),
    'Transform "t": error[E000]: the program contains FAKE_VRL_COMPILE_ERROR (the fake vector\'s failing compile) in `source`',
  ],
  [
    'VRL calling functions Vector has',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  t: {type: filter, inputs: [in], condition: "nope(.a)"}',
      'sinks:',
      consoleSink('out', ['t']),
    ),
    'Transform "t": line 1, column 1: call to undefined function `nope` in `condition`',
  ],
  [
    'transform option types',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  t: {type: throttle, inputs: [in], threshold: "5", window_secs: 1}',
      'sinks:',
      consoleSink('out', ['t']),
    ),
    'invalid type: string "5", expected uint in `transforms.t`',
  ],
  ['a config at all ({})', yaml('{}'), 'No sources defined in the config.'],
];

const VALID: [string, string][] = [
  [
    'route outputs <id>.<route> and <id>._unmatched',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  r: {type: route, inputs: [in], route: {a: ".a == 1"}}',
      'sinks:',
      consoleSink('out', ['r.a', 'r._unmatched']),
    ),
  ],
  ['glob inputs', yaml('sources:', demo('app_1'), demo('app_2'), 'sinks:', consoleSink('out', ['app_*']))],
  [
    'unmatched globs under wildcard_matching: relaxed',
    yaml('wildcard_matching: relaxed', 'sources:', demo('in'), 'sinks:', consoleSink('out', ['in', 'db*'])),
  ],
  [
    'remap <id>.dropped with reroute_dropped',
    yaml(
      'sources:',
      demo('in'),
      'transforms:',
      '  t: {type: remap, inputs: [in], source: ".", reroute_dropped: true}',
      'sinks:',
      consoleSink('out', ['t', 't.dropped']),
    ),
  ],
  [
    'opentelemetry named outputs',
    yaml(
      'sources:',
      '  otel: {type: opentelemetry, grpc: {address: "0.0.0.0:4317"}, http: {address: "0.0.0.0:4318"}}',
      'sinks:',
      consoleSink('out', ['otel.logs', 'otel.metrics', 'otel.traces']),
    ),
  ],
  [
    'unknown options where serde ignores them (syslog)',
    yaml(
      'sources:',
      '  in: {type: syslog, mode: udp, address: "0.0.0.0:514", typo: 1}',
      'sinks:',
      consoleSink('out', ['in']),
    ),
  ],
  [
    'deprecated type names and option aliases',
    yaml(
      'sources:',
      '  in: {type: http, address: "0.0.0.0:80"}',
      '  f: {type: file, include: [/x], ignore_older: 5}',
      'sinks:',
      consoleSink('out', ['in', 'f']),
    ),
  ],
];

describe('fake vector: static config rules', SUITE, () => {
  it.each(INVALID)('enforces %s', (_rule, config, message) =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', config);
      const result = await box.runInProcess(['validate', '--no-environment', 'vector.yaml']);
      expect(result.code).toBe(78);
      expect(result.stdout).toContain(`\nx ${message}`);
    }),
  );

  it.each(VALID)('accepts %s', (_rule, config) =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', config);
      const result = await box.runInProcess(['validate', '--no-environment', 'vector.yaml']);
      expect(result.stdout).toContain('√ Loaded ["vector.yaml"]');
      expect(result.code).toBe(0);
    }),
  );

  it('checks one-of groups when building: remap in the Transforms step (0.57+), sinks in Component configuration', () =>
    inSandbox(async (box) => {
      await box.write(
        'remap.yaml',
        yaml(
          'sources:',
          demo('in'),
          'transforms:',
          '  t: {type: remap, inputs: [in]}',
          'sinks:',
          consoleSink('out', ['t']),
        ),
      );
      const remapResult = await box.runInProcess(['validate', '--no-environment', 'remap.yaml']);
      expect(remapResult.code).toBe(78);
      expect(remapResult.stdout).toContain(
        'Transform errors\n----------------\nx Transform "t": must provide exactly one of `source` or `file` or `files` configuration',
      );
      const before057 = await box.runInProcess(['validate', '--no-environment', 'remap.yaml'], {
        FAKE_VECTOR_VERSION: '0.56.0',
      });
      expect(before057.code).toBe(0);

      await box.write(
        'sink.yaml',
        yaml(`data_dir: ${box.dir}`, 'sources:', demo('in'), 'sinks:', '  out: {type: vector, inputs: [in]}'),
      );
      expect((await box.runInProcess(['validate', '--no-environment', 'sink.yaml'])).code).toBe(0);
      const built = await box.runInProcess(['validate', 'sink.yaml']);
      expect(built.code).toBe(78);
      expect(built.stdout).toContain(
        'Component errors\n----------------\nx Sink "out": must provide exactly one of `address` or `routing` configuration',
      );
    }));
});

describe('fake vector: environment variable interpolation', SUITE, () => {
  const fileSink = (pathValue: string, sinkType = 'file'): string =>
    yaml(
      'sources:',
      demo('in'),
      'sinks:',
      `  out: {type: ${sinkType}, inputs: [in], encoding: {codec: json}, path: "${pathValue}"}`,
    );

  it('is off by default from 0.57: ${VAR} stays literal', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', fileSink('/tmp/${NOT_SET}/out.log'));
      expect((await box.runInProcess(['validate', '--no-environment', 'vector.yaml'])).code).toBe(0);
    }));

  it('fails on a missing variable once enabled by flag or VECTOR_DANGEROUSLY_ALLOW_ENV_VAR_INTERPOLATION', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', fileSink('/tmp/${NOT_SET}/out.log'));
      const byFlag = await box.runInProcess([
        'validate',
        '--no-environment',
        '--dangerously-allow-env-var-interpolation',
        'vector.yaml',
      ]);
      const byEnv = await box.runInProcess(['validate', '--no-environment', 'vector.yaml'], {
        VECTOR_DANGEROUSLY_ALLOW_ENV_VAR_INTERPOLATION: 'true',
      });
      for (const result of [byFlag, byEnv]) {
        expect(result.code).toBe(78);
        expect(result.stdout).toContain('x Missing environment variable in config. name = "NOT_SET"');
      }
    }));

  it('substitutes values and defaults before parsing, and unescapes $$', () =>
    inSandbox(async (box) => {
      const run = async (config: string, env: NodeJS.ProcessEnv): Promise<Finished> => {
        await box.write('vector.yaml', config);
        return box.runInProcess(
          ['validate', '--no-environment', '--dangerously-allow-env-var-interpolation', 'vector.yaml'],
          env,
        );
      };
      expect((await run(fileSink('/tmp/x.log', '${SINK_TYPE}'), { SINK_TYPE: 'file' })).code).toBe(0);
      expect((await run(fileSink('/tmp/x.log', '$SINK_TYPE'), { SINK_TYPE: 'nope' })).stdout).toContain(
        'x unknown variant `nope`',
      );
      expect((await run(fileSink('/tmp/x.log', '${SINK_TYPE:-file}'), { SINK_TYPE: '' })).code).toBe(0);
      expect((await run(fileSink('/tmp/x.log', '"${SINK_TYPE-file}"'), { SINK_TYPE: '' })).stdout).toContain(
        'x unknown variant ``',
      );
      expect((await run(fileSink('/tmp/x.log', '"$${SINK_TYPE}"'), {})).stdout).toContain(
        'x unknown variant `${SINK_TYPE}`',
      );
      expect((await run(fileSink('/tmp/${REQUIRED:?set it}.log'), { REQUIRED: '' })).stdout).toContain(
        'x Non-empty environment variable required in config. name = "REQUIRED", error = "set it"',
      );
      expect((await run(fileSink('/tmp/${REQUIRED?set it}.log'), { REQUIRED: '' })).code).toBe(0);
      expect((await run(fileSink('/tmp/${REQUIRED?set it}.log'), {})).stdout).toContain(
        'x Missing environment variable required in config. name = "REQUIRED", error = "set it"',
      );
      expect((await run(fileSink('/tmp/${MULTI}.log'), { MULTI: 'a\nb' })).stdout).toContain(
        'x Environment variable contains newline character. name = "MULTI"',
      );
    }));

  it('follows the impersonated version: on by default before 0.57, where the 0.57 flag does not exist', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', fileSink('/tmp/${NOT_SET}/out.log'));
      const old = { FAKE_VECTOR_VERSION: '0.56.0' };
      expect((await box.runInProcess(['validate', '--no-environment', 'vector.yaml'], old)).code).toBe(78);
      expect(
        (
          await box.runInProcess(
            ['validate', '--no-environment', '--disable-env-var-interpolation', 'vector.yaml'],
            old,
          )
        ).code,
      ).toBe(0);
      expect(
        (
          await box.runInProcess(
            ['validate', '--dangerously-allow-env-var-interpolation', 'vector.yaml'],
            old,
          )
        ).code,
      ).toBe(2);
    }));

  it('makes run mode exit 78 on a missing variable', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', fileSink('/tmp/${NOT_SET}/out.log'));
      const result = await box.run(['--dangerously-allow-env-var-interpolation', '--config', 'vector.yaml']);
      expect(result.code).toBe(78);
      expect(result.stderr).toContain(
        'Configuration error. error=Missing environment variable in config. name = "NOT_SET"',
      );
    }));
});
