/**
 * The stand-in `vector` CLI (test/helpers/fake-vector) measured against the Vector reference: the
 * version line, validate's exit codes and output, each static config rule, env interpolation, run
 * mode (SIGHUP reloads, signals, API health) and the test controls (state dir, crash file, markers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_VECTOR, readIfExists, tempDir, waitFor } from './helpers.ts';

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Vector {
  child: ChildProcess;
  exited: Promise<Finished>;
  stderr(): string;
}

interface FakeState {
  pid: number;
  startedAt: string;
  reloads: number;
  configPath: string;
  configSha256: string;
  components: string[];
}

interface FakeEvent {
  event: string;
  pid: number;
  reason?: string;
  signal?: string;
  exitCode?: number;
  reloads?: number;
  errors?: string[];
}

/** A temp directory, the fake vectors started in it, and readers for the fake's state dir. */
class Sandbox {
  private readonly started: Vector[] = [];

  constructor(readonly dir: string) {}

  get stateDir(): string {
    return path.join(this.dir, 'fake-state');
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  async write(name: string, text: string): Promise<string> {
    await fs.writeFile(this.file(name), text);
    return this.file(name);
  }

  /** Runs the fake to completion (cwd = the sandbox). */
  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
    return this.launch(args, env).exited;
  }

  /** Starts the fake in run mode with FAKE_VECTOR_STATE_DIR set and waits for its `started` event. */
  async start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Vector> {
    const vector = this.launch(args, { FAKE_VECTOR_STATE_DIR: this.stateDir, ...env });
    this.started.push(vector);
    await this.untilEvent(vector, (event) => event.event === 'started' && event.pid === vector.child.pid);
    return vector;
  }

  async state(): Promise<FakeState | undefined> {
    const text = await readIfExists(path.join(this.stateDir, 'state.json'));
    return text ? (JSON.parse(text) as FakeState) : undefined;
  }

  async events(): Promise<FakeEvent[]> {
    const text = (await readIfExists(path.join(this.stateDir, 'events.jsonl'))) ?? '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeEvent);
  }

  /** Polls events.jsonl for a matching event; fails at once if the process exits first. */
  async untilEvent(vector: Vector, match: (event: FakeEvent) => boolean): Promise<FakeEvent> {
    const found = await waitFor('a fake vector event', async () => {
      const event = (await this.events()).find(match);
      if (event) return event;
      return vector.child.exitCode !== null || vector.child.signalCode !== null ? 'exited' : undefined;
    });
    if (found === 'exited') {
      throw new Error(`vector exited with ${vector.child.exitCode} first:\n${vector.stderr()}`);
    }
    return found;
  }

  async close(): Promise<void> {
    for (const vector of this.started) {
      if (vector.child.exitCode === null && vector.child.signalCode === null) vector.child.kill('SIGKILL');
    }
    await Promise.all(this.started.map((vector) => vector.exited));
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private launch(args: string[], env: NodeJS.ProcessEnv): Vector {
    const inherited = Object.entries(process.env).filter(([key]) => !/^(FAKE_)?VECTOR_/.test(key));
    const child = spawn(FAKE_VECTOR, args, {
      cwd: this.dir,
      env: { ...Object.fromEntries(inherited), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<Finished>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, exited, stderr: () => stderr };
  }
}

// Each test starts several processes; generous on a loaded machine (the repo config allows 30 s).
const SUITE = { timeout: 20_000 };

async function inSandbox(body: (box: Sandbox) => Promise<void>): Promise<void> {
  const box = new Sandbox(await tempDir('fake-vector-'));
  try {
    await body(box);
  } finally {
    await box.close();
  }
}

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const demo = (id: string): string => `  ${id}: {type: demo_logs, format: json}`;
const remap = (id: string, inputs: string[]): string =>
  `  ${id}: {type: remap, inputs: ${JSON.stringify(inputs)}, source: "."}`;
const consoleSink = (id: string, inputs: string[]): string =>
  `  ${id}: {type: console, inputs: ${JSON.stringify(inputs)}, encoding: {codec: json}}`;

/** demo_logs → remap → console, with its data_dir. */
function pipeline(dataDir: string, comment = ''): string {
  return yaml(
    `# ${comment}`,
    `data_dir: ${dataDir}`,
    'sources:',
    demo('in'),
    'transforms:',
    remap('parse', ['in']),
    'sinks:',
    consoleSink('out', ['parse']),
  );
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fake vector: command line', SUITE, () => {
  it('prints `vector <version> (<triple> <sha> <build time>)` on stdout for --version and -V', () =>
    inSandbox(async (box) => {
      const long = await box.run(['--version']);
      expect(long).toMatchObject({ code: 0, stderr: '' });
      const match = /^vector (\S+) \(([^ )]+)(?: ([0-9a-f]+) ([^)]*))?\)$/.exec(long.stdout.trimEnd());
      expect(match?.slice(1, 4)).toEqual(['0.58.0', expect.stringMatching(/-unknown-linux-gnu$/), 'c3445d4']);
      expect(match?.[4]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9}$/);
      const overridden = await box.run(['-V'], { FAKE_VECTOR_VERSION: '0.40.1' });
      expect(overridden.stdout).toMatch(/^vector 0\.40\.1 \(/);
    }));

  it('rejects `validate -c FILE` (paths are positional) and unknown flags with clap usage errors, exit 2', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      for (const args of [
        ['validate', '-c', file],
        ['validate', '--config', file],
        ['--frobnicate'],
        ['validate', '--watch-config'],
      ]) {
        const result = await box.run(args);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(/^error: unexpected argument '-[-\w]+' found\n\nUsage: vector/);
      }
    }));

  it('rejects bad option values and conflicting flags with exit 2', () =>
    inSandbox(async (box) => {
      const cases: [string[], string][] = [
        [['--threads', 'many'], "invalid value 'many' for '--threads <THREADS>'"],
        [['--log-format', 'xml'], '[possible values: text, json]'],
        [['--watch-config=yes'], "unexpected value 'yes' for '--watch-config'"],
        [['--graceful-shutdown-limit-secs', '5', '--no-graceful-shutdown-limit'], 'cannot be used with'],
        [['frobnicate'], "unrecognized subcommand 'frobnicate'"],
      ];
      for (const [args, message] of cases) {
        const result = await box.run(args);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
      }
    }));
});

describe('fake vector: validate', SUITE, () => {
  it('prints the √ lines, a rule as wide as the widest line and a right-aligned "Validated", exit 0', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', pipeline(box.dir));
      const result = await box.run(['validate', 'vector.yaml']);
      const lines = [
        '√ Loaded ["vector.yaml"]',
        '√ Transforms configuration',
        '√ Component configuration',
        '√ Health check "out"',
      ];
      const width = Math.max(...lines.map((line) => line.length));
      expect(result).toMatchObject({
        code: 0,
        stdout: [...lines, '-'.repeat(width), 'Validated'.padStart(width), ''].join('\n'),
      });
      await expect(fs.readdir(box.dir)).resolves.not.toContain('validate_tmp');
    }));

  it('exits 78 with a "Failed to load" title and x lines for an invalid config', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', yaml('sources:', demo('in')));
      const result = await box.run(['validate', '--no-environment', 'vector.yaml']);
      expect(result).toMatchObject({
        code: 78,
        stdout:
          'Failed to load ["vector.yaml"]\n------------------------------\nx No sinks defined in the config.\n',
      });
    }));

  it('exits 78 when a path matches no file, logging "Config file not found in path." on stderr', () =>
    inSandbox(async (box) => {
      const result = await box.run(['validate', 'missing.yaml']);
      expect(result).toMatchObject({ code: 78, stdout: '' });
      expect(result.stderr).toMatch(
        /ERROR vector::config::loading: Config file not found in path\. path="missing\.yaml"/,
      );
    }));

  it('reads an unknown extension as TOML (YAML in vector.yaml.tmp fails) unless --config-yaml forces the format', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml.tmp', pipeline(box.dir));
      const asToml = await box.run(['validate', file]);
      expect(asToml.code).toBe(78);
      expect(asToml.stdout).toContain(
        `x TOML parse error at line 2, column 9\n  |\n2 | data_dir: ${box.dir}\n  |         ^\nexpected \`.\`, \`=\`\n`,
      );
      const forced = await box.run(['validate', '--config-yaml', file]);
      expect(forced.code).toBe(0);
    }));

  it('accepts TOML and JSON configs by extension', () =>
    inSandbox(async (box) => {
      const toml = await box.write(
        'vector.toml',
        yaml(
          '[sources.in]',
          'type = "demo_logs"',
          "format = 'json'",
          '[sinks.out]',
          'type = "console"',
          'inputs = ["in"]',
          'encoding.codec = "json"',
        ),
      );
      const json = await box.write(
        'vector.json',
        JSON.stringify({
          sources: { in: { type: 'demo_logs', format: 'json' } },
          sinks: { out: { type: 'console', inputs: ['in'], encoding: { codec: 'json' } } },
        }),
      );
      for (const file of [toml, json])
        expect((await box.run(['validate', '--no-environment', file])).code).toBe(0);
    }));

  it('takes the paths from VECTOR_CONFIG when none are given', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const result = await box.run(['validate', '--skip-healthchecks'], { VECTOR_CONFIG: file });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`√ Loaded ["${file}"]`);
      expect(result.stdout).not.toContain('Health check');
    }));

  it('needs an existing data_dir unless --no-environment', () =>
    inSandbox(async (box) => {
      const missing = box.file('no-such-dir');
      await box.write('vector.yaml', pipeline(missing));
      const full = await box.run(['validate', 'vector.yaml']);
      expect(full.code).toBe(78);
      expect(full.stdout).toContain(`x data_dir "${missing}" does not exist`);
      const skipped = await box.run(['validate', '--no-environment', 'vector.yaml']);
      expect(skipped.code).toBe(0);
      expect(skipped.stdout).not.toContain('Component configuration');
    }));

  it('reports "no consumers" as warnings, which fail only under --deny-warnings', () =>
    inSandbox(async (box) => {
      await box.write(
        'vector.yaml',
        yaml('sources:', demo('in'), demo('extra'), 'sinks:', consoleSink('out', ['in'])),
      );
      const lenient = await box.run(['validate', '--no-environment', 'vector.yaml']);
      expect(lenient.code).toBe(0);
      const title = 'Loaded with warnings ["vector.yaml"]';
      expect(lenient.stdout).toContain(
        `${title}\n${'-'.repeat(title.length)}\n~ Source "extra" has no consumers\n`,
      );
      const strict = await box.run(['validate', '--no-environment', '-d', 'vector.yaml']);
      expect(strict.code).toBe(78);
      expect(strict.stdout).toContain('x Source "extra" has no consumers');
    }));

  it('warns about disabled health checks', () =>
    inSandbox(async (box) => {
      const config = pipeline(box.dir).replace(
        'encoding: {codec: json}}',
        'encoding: {codec: json}, healthcheck: false}',
      );
      await box.write('vector.yaml', config);
      const result = await box.run(['validate', 'vector.yaml']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('~ Health check disabled for "out"');
      expect((await box.run(['validate', '--deny-warnings', 'vector.yaml'])).code).toBe(78);
    }));
});

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
      const result = await box.run(['validate', '--no-environment', 'vector.yaml']);
      expect(result.code).toBe(78);
      expect(result.stdout).toContain(`\nx ${message}`);
    }),
  );

  it.each(VALID)('accepts %s', (_rule, config) =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', config);
      const result = await box.run(['validate', '--no-environment', 'vector.yaml']);
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
      const remapResult = await box.run(['validate', '--no-environment', 'remap.yaml']);
      expect(remapResult.code).toBe(78);
      expect(remapResult.stdout).toContain(
        'Transform errors\n----------------\nx Transform "t": must provide exactly one of `source` or `file` or `files` configuration',
      );
      const before057 = await box.run(['validate', '--no-environment', 'remap.yaml'], {
        FAKE_VECTOR_VERSION: '0.56.0',
      });
      expect(before057.code).toBe(0);

      await box.write(
        'sink.yaml',
        yaml(`data_dir: ${box.dir}`, 'sources:', demo('in'), 'sinks:', '  out: {type: vector, inputs: [in]}'),
      );
      expect((await box.run(['validate', '--no-environment', 'sink.yaml'])).code).toBe(0);
      const built = await box.run(['validate', 'sink.yaml']);
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
      expect((await box.run(['validate', '--no-environment', 'vector.yaml'])).code).toBe(0);
    }));

  it('fails on a missing variable once enabled by flag or VECTOR_DANGEROUSLY_ALLOW_ENV_VAR_INTERPOLATION', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', fileSink('/tmp/${NOT_SET}/out.log'));
      const byFlag = await box.run([
        'validate',
        '--no-environment',
        '--dangerously-allow-env-var-interpolation',
        'vector.yaml',
      ]);
      const byEnv = await box.run(['validate', '--no-environment', 'vector.yaml'], {
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
        return box.run(
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
      expect((await box.run(['validate', '--no-environment', 'vector.yaml'], old)).code).toBe(78);
      expect(
        (
          await box.run(
            ['validate', '--no-environment', '--disable-env-var-interpolation', 'vector.yaml'],
            old,
          )
        ).code,
      ).toBe(0);
      expect(
        (await box.run(['validate', '--dangerously-allow-env-var-interpolation', 'vector.yaml'], old)).code,
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

describe('fake vector: run mode', SUITE, () => {
  it('records its state, runs until SIGTERM and exits 0', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['--config', file]);
      const state = await box.state();
      expect(state).toEqual({
        pid: vector.child.pid,
        startedAt: expect.any(String),
        reloads: 0,
        configPath: file,
        configSha256: await sha256(file),
        components: ['in', 'parse', 'out'],
      });
      expect(vector.stderr()).toMatch(/ INFO vector: Vector has started\. debug="false" version="0\.58\.0"/);
      vector.child.kill('SIGTERM');
      const exit = await vector.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.stderr).toContain('Vector has stopped.');
      expect((await box.events()).map((event) => event.event)).toEqual(['started', 'stopped']);
    }));

  it('exits 0 on SIGINT and on SIGQUIT', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
        const vector = await box.start(['-c', file]);
        vector.child.kill(signal);
        expect((await vector.exited).code).toBe(0);
        await box.untilEvent(
          vector,
          (event) => event.event === 'stopped' && event.pid === vector.child.pid && event.signal === signal,
        );
      }
    }));

  it('exits 78 at once on an invalid config, logging "Configuration error."', () =>
    inSandbox(async (box) => {
      await box.write('vector.yaml', yaml('sources:', demo('in'), 'sinks:', consoleSink('out', ['nope'])));
      const result = await box.run(['-c', 'vector.yaml'], { FAKE_VECTOR_STATE_DIR: box.stateDir });
      expect(result.code).toBe(78);
      expect(result.stderr).toMatch(
        /ERROR vector::topology: Configuration error\. error=Input "nope" for sink "out" doesn't match any components\./,
      );
      expect(await box.state()).toBeUndefined();
    }));

  it('refuses {} (no sources) unless --allow-empty-config or VECTOR_ALLOW_EMPTY_CONFIG', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', '{}\n');
      expect((await box.run(['-c', file])).code).toBe(78);
      const vector = await box.start(['-c', file], { VECTOR_ALLOW_EMPTY_CONFIG: 'true' });
      expect((await box.state())?.components).toEqual([]);
      vector.child.kill('SIGTERM');
      expect((await vector.exited).code).toBe(0);
    }));

  it('takes the config from VECTOR_CONFIG', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      await box.start([], { VECTOR_CONFIG: file });
      expect((await box.state())?.configPath).toBe(file);
    }));

  it('reloads a valid config on SIGHUP', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      await box.write(
        'vector.yaml',
        yaml(`data_dir: ${box.dir}`, 'sources:', demo('next'), 'sinks:', consoleSink('out', ['next'])),
      );
      vector.child.kill('SIGHUP');
      const reloaded = await box.untilEvent(vector, (event) => event.event === 'reloaded');
      expect(reloaded.reloads).toBe(1);
      expect(await box.state()).toMatchObject({
        pid: vector.child.pid,
        reloads: 1,
        configSha256: await sha256(file),
        components: ['next', 'out'],
      });
      expect(vector.stderr()).toContain('Vector has reloaded. path=["');
    }));

  it('keeps the old config running when the new one does not load', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      const before = await box.state();
      await box.write(
        'vector.yaml',
        yaml(`data_dir: ${box.dir}`, 'sources:', demo('in'), 'sinks:', '  out: {type: nope, inputs: [in]}'),
      );
      vector.child.kill('SIGHUP');
      const failed = await box.untilEvent(vector, (event) => event.event === 'reload_failed');
      expect(failed).toMatchObject({
        reason: 'config_load',
        errors: [expect.stringContaining('unknown variant `nope`')],
      });
      expect(vector.stderr()).toMatch(
        /ERROR vector::topology: Configuration error\. error=unknown variant `nope`/,
      );
      expect(vector.stderr()).toContain('Failed to load config files, reload aborted.');
      expect(await box.state()).toEqual(before);
      expect(vector.child.exitCode).toBeNull();

      await box.write('vector.yaml', pipeline(box.dir, 'fixed'));
      vector.child.kill('SIGHUP');
      await box.untilEvent(vector, (event) => event.event === 'reloaded');
      vector.child.kill('SIGTERM');
      expect((await vector.exited).code).toBe(0);
    }));

  it('rejects a reload that changes a global option such as data_dir', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      await fs.mkdir(box.file('other'));
      await box.write('vector.yaml', pipeline(box.file('other')));
      vector.child.kill('SIGHUP');
      const failed = await box.untilEvent(vector, (event) => event.event === 'reload_failed');
      expect(failed.reason).toBe('global_options_changed');
      expect(vector.stderr()).toContain('Config reload rejected due to non-reloadable global options.');
    }));

  it('exits 78 when the config file vanished before a SIGHUP', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      await fs.rm(file);
      vector.child.kill('SIGHUP');
      expect((await vector.exited).code).toBe(78);
      expect(vector.stderr()).toContain('Config file not found in path.');
    }));

  it('reloads on file changes with --watch-config', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['--watch-config', '-c', file]);
      await box.write('vector.yaml', pipeline(box.dir, 'edited'));
      await box.untilEvent(vector, (event) => event.event === 'reloaded');
      expect(vector.stderr()).toContain('Configuration file changed.');
    }));

  it('serves /health while the API is enabled', () =>
    inSandbox(async (box) => {
      const port = await freePort();
      await box.write(
        'vector.yaml',
        pipeline(box.dir).replace('sources:', `api: {enabled: true, address: "127.0.0.1:${port}"}\nsources:`),
      );
      await box.start(['-c', 'vector.yaml']);
      const response = await waitFor('the API', () =>
        fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true });
      expect((await fetch(`http://127.0.0.1:${port}/graphql`)).status).toBe(404);
    }));
});

describe('fake vector: test controls', SUITE, () => {
  it('dies with exit 1 when <state dir>/crash appears, deleting the file so a restart runs normally', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      await fs.writeFile(path.join(box.stateDir, 'crash'), '');
      expect((await vector.exited).code).toBe(1);
      await expect(fs.access(path.join(box.stateDir, 'crash'))).rejects.toThrow();
      expect(await box.events()).toContainEqual(
        expect.objectContaining({ event: 'crashed', reason: 'crash_file', exitCode: 1 }),
      );

      const restarted = await box.start(['-c', file]);
      expect((await box.state())?.pid).toBe(restarted.child.pid);
      expect(restarted.child.exitCode).toBeNull();
    }));

  it('passes validate with FAKE_VECTOR_CRASH_ON_LOAD but dies with exit 1 right after loading it', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir, 'FAKE_VECTOR_CRASH_ON_LOAD'));
      expect((await box.run(['validate', file])).code).toBe(0);
      const startedAt = Date.now();
      const result = await box.run(['-c', file], { FAKE_VECTOR_STATE_DIR: box.stateDir });
      expect(result.code).toBe(1);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect((await box.events()).map((event) => [event.event, event.reason])).toEqual([
        ['started', undefined],
        ['crashed', 'crash_on_load'],
      ]);
    }));

  it('dies with exit 1 after a SIGHUP reload into a FAKE_VECTOR_CRASH_ON_LOAD config', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir));
      const vector = await box.start(['-c', file]);
      await box.write('vector.yaml', pipeline(box.dir, 'FAKE_VECTOR_CRASH_ON_LOAD'));
      vector.child.kill('SIGHUP');
      expect((await vector.exited).code).toBe(1);
      expect((await box.events()).map((event) => event.event)).toEqual(['started', 'reloaded', 'crashed']);
    }));

  it('rejects a config containing FAKE_VECTOR_INVALID anywhere, in validate and at startup', () =>
    inSandbox(async (box) => {
      const file = await box.write('vector.yaml', pipeline(box.dir, 'FAKE_VECTOR_INVALID'));
      const validated = await box.run(['validate', file]);
      expect(validated.code).toBe(78);
      expect(validated.stdout).toContain(
        'x Configuration rejected by the fake vector (the config contains FAKE_VECTOR_INVALID)',
      );
      expect((await box.run(['-c', file])).code).toBe(78);
    }));
});
