import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isEmptyConfig, withDataDir } from '../../agent/apply/apply.ts';
import { sha256Hex } from '../../agent/apply/file-hash.ts';
import { waitFor } from './helpers.ts';
import { pipeline, vectorHarness } from './vector-harness.ts';

type Harness = Awaited<ReturnType<typeof vectorHarness>>;
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});
async function harness(options: Parameters<typeof vectorHarness>[0] = {}): Promise<Harness> {
  const h = await vectorHarness(options);
  harnesses.push(h);
  return h;
}

describe('apply', () => {
  it('validates a first config, puts it in place with the agent data_dir and starts vector', async () => {
    const h = await harness();
    const outcome = await h.applier.apply(1, pipeline('one'));
    const onDisk = await fs.readFile(h.configFile, 'utf8');
    expect(outcome).toMatchObject({
      kind: 'applied',
      version: 1,
      action: 'started',
      file: { sha256: sha256Hex(onDisk), bodySha256: sha256Hex(pipeline('one')) },
    });
    expect(onDisk).toBe(
      pipeline('one').replace('sources:', `data_dir: ${JSON.stringify(h.dataDir)}\nsources:`),
    );
    expect(await fs.readFile(path.join(h.dir, 'vector.applied.yaml'), 'utf8')).toBe(onDisk);
    const state = await waitFor('vector to run', () => h.vectorState());
    expect(state.configPath).toBe(h.configFile);
    expect(await fs.readdir(h.dir)).not.toContain('vector.candidate.yaml');
  });

  it('reloads a running vector for a new config instead of restarting it', async () => {
    const h = await harness();
    await h.applier.apply(1, pipeline('one'));
    const before = await waitFor('vector to run', () => h.vectorState());
    expect(await h.applier.apply(2, pipeline('two'))).toMatchObject({ kind: 'applied', action: 'reloaded' });
    const after = await waitFor('the reload', async () => {
      const s = await h.vectorState();
      return s?.reloads === 1 ? s : undefined;
    });
    expect(after.pid).toBe(before.pid);
  });

  it('never applies a config that fails vector validate: the old one keeps running', async () => {
    const h = await harness();
    await h.applier.apply(1, pipeline('good'));
    const before = await waitFor('vector to run', () => h.vectorState());
    const good = await fs.readFile(h.configFile, 'utf8');
    const outcome = await h.applier.apply(2, pipeline('bad', 'FAKE_VECTOR_INVALID'));
    expect(outcome).toMatchObject({
      kind: 'rejected',
      version: 2,
      message: expect.stringContaining('exited with code 78'),
    });
    expect(await fs.readFile(h.configFile, 'utf8')).toBe(good);
    expect((await h.vectorState())?.pid).toBe(before.pid);
    expect((await h.vectorState())?.reloads).toBe(0);
    expect(await fs.readdir(h.dir)).not.toContain('vector.candidate.yaml');
  });

  it('counts a config as applied once vector logs that it reloaded, not after the whole check window', async () => {
    // A check window longer than the test's timeout: only the confirmation can end the apply.
    const h = await harness({ reloadCheckMs: 10 * 60_000 });
    expect(await h.applier.apply(1, pipeline('one'))).toMatchObject({ kind: 'applied', action: 'started' });
    const outcome = await h.applier.apply(2, pipeline('two'));
    expect(outcome).toMatchObject({ kind: 'applied', action: 'reloaded', watch: expect.any(Promise) });
    expect((await h.vectorState())?.reloads).toBe(1);
    expect(h.records.filter((r) => r.msg === 'config applied').map((r) => r.confirmed)).toEqual([true, true]);
  });

  it('restores the previous config and restarts vector when vector dies on a validated config', async () => {
    const h = await harness();
    await h.applier.apply(1, pipeline('stable'));
    const before = await waitFor('vector to run', () => h.vectorState());
    const stable = await fs.readFile(h.configFile, 'utf8');
    // The fake logs "Vector has reloaded." and dies about 100 ms later: applied, then rolled back by the watch.
    const outcome = await h.applier.apply(2, pipeline('fatal', 'FAKE_VECTOR_CRASH_ON_LOAD'));
    expect(outcome).toMatchObject({ kind: 'applied', version: 2, action: 'reloaded' });
    const late = outcome.kind === 'applied' ? await outcome.watch : undefined;
    expect(late).toMatchObject({
      kind: 'rolled_back',
      version: 2,
      message: expect.stringContaining('vector exited'),
    });
    expect(await fs.readFile(h.configFile, 'utf8')).toBe(stable);
    const after = await waitFor('vector back on the old config', async () => {
      const s = await h.vectorState();
      return s && s.pid !== before.pid ? s : undefined;
    });
    expect(after.configSha256).toBe(before.configSha256);
    expect(h.supervisor.running).toBe(true);
  });

  it('stops vector for the empty config {} and starts it again for a real one', async () => {
    const h = await harness();
    await h.applier.apply(1, pipeline('one'));
    await waitFor('vector to run', () => h.vectorState());
    expect(await h.applier.apply(2, '{}')).toMatchObject({ kind: 'applied', version: 2, action: 'stopped' });
    expect(h.supervisor.running).toBe(false);
    // Written as received, so its hash is the server's etag (drift.ts).
    expect(await fs.readFile(h.configFile, 'utf8')).toBe('{}');
    expect(await h.applier.startFromDisk()).toBe(false);
    expect(await h.applier.apply(3, pipeline('three'))).toMatchObject({ kind: 'applied', action: 'started' });
  });

  it('starts vector from the config on disk at agent start and drops a stale candidate', async () => {
    const h = await harness();
    await fs.writeFile(h.configFile, withDataDir(pipeline('disk'), h.dataDir));
    await fs.writeFile(path.join(h.dir, 'vector.candidate.yaml'), 'half a conf');
    expect(await h.applier.startFromDisk()).toBe(true);
    await waitFor('vector to run', () => h.vectorState());
    expect(await fs.readdir(h.dir)).not.toContain('vector.candidate.yaml');
  });
});

describe('config text helpers', () => {
  it('recognises the empty config', () => {
    expect(isEmptyConfig('{}')).toBe(true);
    expect(isEmptyConfig('{}\n')).toBe(true);
    expect(isEmptyConfig('# nothing\n{}\n')).toBe(true);
    expect(isEmptyConfig(pipeline('x'))).toBe(false);
    expect(isEmptyConfig('sources: [')).toBe(false);
  });

  it('adds data_dir as the first key only when the config has none', () => {
    expect(withDataDir('sources: {}\n', '/d')).toBe('data_dir: "/d"\nsources: {}\n');
    expect(withDataDir('# head\nsources: {}\n', '/d')).toBe('# head\ndata_dir: "/d"\nsources: {}\n');
    expect(withDataDir('data_dir: /x\nsources: {}\n', '/d')).toBe('data_dir: /x\nsources: {}\n');
    expect(withDataDir('{sources: {}}', '/d')).toBe('{sources: {}}');
    expect(withDataDir('---\nsources: {}\n', '/d')).toBe('---\ndata_dir: "/d"\nsources: {}\n');
  });
});
