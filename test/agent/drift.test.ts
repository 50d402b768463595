/**
 * Drift of vector.yaml (agent/apply/drift.ts) over the real Applier, supervisor and fake vector:
 * the reported hash equals the server's etag for an untouched file, a changed file is restored
 * and reloaded (self-heal) or only reported once (self-heal off).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DriftWatch } from '../../agent/apply/drift.ts';
import { sha256Hex } from '../../agent/apply/file-hash.ts';
import { StateStore } from '../../agent/state/store.ts';
import { memoryLogger, waitFor } from './helpers.ts';
import { pipeline, vectorHarness } from './vector-harness.ts';

type Harness = Awaited<ReturnType<typeof vectorHarness>>;
const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

/** A harness with `body` applied and recorded in the state, as the loop does. */
async function applied(body: string) {
  const h = await vectorHarness();
  harnesses.push(h);
  const { log } = memoryLogger();
  const store = new StateStore(
    fs,
    {
      stateFile: path.join(h.dir, 'state.json'),
      identityFile: path.join(h.dir, 'agent.json'),
      tokenFile: path.join(h.dir, 'agent-token'),
    },
    log,
  );
  await store.load();
  const outcome = await h.applier.apply(1, body);
  if (outcome.kind !== 'applied') throw new Error(`not applied: ${outcome.kind}`);
  await store.update((s) => {
    s.appliedFile = outcome.file;
  });
  const watch = new DriftWatch({
    fs,
    configFile: h.configFile,
    appliedCopyFile: path.join(h.dir, 'vector.applied.yaml'),
    dataDir: h.dataDir,
    store,
    supervisor: h.supervisor,
    log,
  });
  return { h, watch };
}

describe('config drift', () => {
  it('reports the etag of the bytes the server sent while the file is untouched (its own additions left out)', async () => {
    const body = pipeline('one');
    const { h, watch } = await applied(body);
    expect(await fs.readFile(h.configFile, 'utf8')).not.toBe(body);
    expect(await watch.check(true)).toEqual({ runningConfigSha256: sha256Hex(body) });
  });

  it('restores the applied config and reloads vector when the file was edited', async () => {
    const body = pipeline('one');
    const { h, watch } = await applied(body);
    const started = await waitFor('vector to run', () => h.vectorState());
    const edited = (await fs.readFile(h.configFile, 'utf8')).replace('format: json', 'format: syslog');
    await fs.writeFile(h.configFile, edited);
    const check = await watch.check(true);
    expect(check).toEqual({
      runningConfigSha256: sha256Hex(body),
      configDrift: { foundSha256: sha256Hex(edited), restored: true },
    });
    const reloaded = await waitFor('the reload', async () => {
      const s = await h.vectorState();
      return s && s.reloads === 1 ? s : undefined;
    });
    expect(reloaded.configSha256).toBe(started.configSha256);
    expect(await watch.check(true)).toEqual({ runningConfigSha256: sha256Hex(body) });
  });

  it('with self-heal off reports a changed file once and leaves it alone', async () => {
    const { h, watch } = await applied(pipeline('one'));
    const edited = `${await fs.readFile(h.configFile, 'utf8')}# edited by hand\n`;
    await fs.writeFile(h.configFile, edited);
    const foundSha256 = sha256Hex(edited);
    const first = await watch.check(false);
    expect(first).toEqual({
      runningConfigSha256: foundSha256,
      configDrift: { foundSha256, restored: false },
    });
    watch.acknowledge(first.configDrift);
    expect(await watch.check(false)).toEqual({ runningConfigSha256: foundSha256 });
    expect(await fs.readFile(h.configFile, 'utf8')).toBe(edited);
  });

  it('reports a failed restore when the applied copy was changed too', async () => {
    const { h, watch } = await applied(pipeline('one'));
    await fs.writeFile(h.configFile, 'sources: {}\n');
    await fs.writeFile(path.join(h.dir, 'vector.applied.yaml'), 'sources: {}\n');
    const check = await watch.check(true);
    expect(check.configDrift).toMatchObject({ restored: false, message: expect.stringContaining('copy') });
  });
});
