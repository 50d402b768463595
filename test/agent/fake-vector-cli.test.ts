/**
 * The stand-in `vector` CLI against the Vector reference: command line, version line, validate
 * exit codes and output.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SUITE, inSandbox, yaml, demo, consoleSink, pipeline } from './fake-vector-harness.ts';

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
