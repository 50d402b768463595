/**
 * The stand-in `vector` CLI against the Vector reference: run mode (SIGHUP reloads, signals, API
 * health) and the test controls (state dir, crash file, markers).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from './helpers.ts';
import { describe, expect, it } from 'vitest';
import {
  SUITE,
  inSandbox,
  yaml,
  demo,
  consoleSink,
  pipeline,
  sha256,
  freePort,
} from './fake-vector-harness.ts';

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
      const result = await box.run(['-c', file], { FAKE_VECTOR_STATE_DIR: box.stateDir });
      expect(result.code).toBe(1);
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
