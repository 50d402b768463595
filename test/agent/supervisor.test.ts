import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from './helpers.ts';
import { ManualClock } from './manual-clock.ts';
import { pipeline, vectorHarness } from './vector-harness.ts';

type Harness = Awaited<ReturnType<typeof vectorHarness>>;
const harnesses: Harness[] = [];
async function harness(options?: Parameters<typeof vectorHarness>[0]): Promise<Harness> {
  const h = await vectorHarness(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

const STUBBORN = path.join(import.meta.dirname, 'fixtures/stubborn-vector.mjs');

describe('vector supervisor', () => {
  it('starts vector with --config and reloads it with SIGHUP without restarting it', async () => {
    const h = await harness();
    await fs.writeFile(h.configFile, pipeline('first'));
    await h.supervisor.start();
    const first = await waitFor('vector to load', () => h.vectorState());
    expect(first.configPath).toBe(h.configFile);
    expect(await fs.readFile(path.join(h.dir, 'vector.pid'), 'utf8')).toContain(String(first.pid));
    await fs.writeFile(h.configFile, pipeline('second'));
    expect(await h.supervisor.reload()).toBe(true);
    const reloaded = await waitFor('the reload', async () => {
      const s = await h.vectorState();
      return s && s.reloads === 1 ? s : undefined;
    });
    expect(reloaded.pid).toBe(first.pid);
    expect(h.supervisor.running).toBe(true);
  });

  it('restarts vector with backoff after it crashes', async () => {
    const h = await harness();
    await fs.writeFile(h.configFile, pipeline('crashy'));
    await h.supervisor.start();
    const first = await waitFor('vector to load', () => h.vectorState());
    await h.crashVector();
    const second = await waitFor('a new vector process', async () => {
      const s = await h.vectorState();
      return s && s.pid !== first.pid ? s : undefined;
    });
    expect(isAlive(second.pid)).toBe(true);
    expect(h.events.find((e) => e.type === 'exited')).toMatchObject({ expected: false, code: 1 });
    expect(h.records.some((r) => r.msg === 'restarting vector')).toBe(true);
  });

  it('stops vector with SIGTERM and keeps it stopped', async () => {
    const h = await harness();
    await fs.writeFile(h.configFile, pipeline('stopme'));
    await h.supervisor.start();
    const state = await waitFor('vector to load', () => h.vectorState());
    await h.supervisor.stop();
    expect(isAlive(state.pid)).toBe(false);
    expect(h.supervisor.running).toBe(false);
    expect(h.events.at(-1)).toMatchObject({ type: 'exited', expected: true, code: 0 });
    expect((await h.fakeEvents()).map((e) => e.event)).toContain('stopped');
  });

  it('escalates to SIGKILL when vector ignores SIGTERM past the grace period', async () => {
    const clock = new ManualClock();
    const h = await harness({ bin: STUBBORN, stopGraceMs: 300, clock });
    await h.supervisor.start();
    await waitFor('the process to start', () => h.output.tail().includes('ready'));
    const pid = h.supervisor.pid as number;
    let stopped = false;
    const stopping = h.supervisor.stop().then(() => (stopped = true));
    await waitFor('SIGTERM to be ignored', () => h.output.tail().includes('ignoring SIGTERM'));
    await clock.advance(299);
    expect(stopped).toBe(false);
    expect(isAlive(pid)).toBe(true);
    await clock.advance(1);
    await stopping;
    expect(isAlive(pid)).toBe(false);
    expect(h.events.at(-1)).toMatchObject({ type: 'exited', signal: 'SIGKILL', expected: true });
    expect(h.records.some((r) => String(r.msg).includes('SIGKILL'))).toBe(true);
  });

  it('writes vector output to vector.log and rotates it by size', async () => {
    const h = await harness({
      bin: STUBBORN,
      maxBytes: 4096,
      keep: 2,
      env: { CHATTY: '1' },
      stopGraceMs: 100,
    });
    await h.supervisor.start();
    const log = path.join(h.dir, 'vector.log');
    await waitFor('two rotations', () => fs.stat(`${log}.2`).then(() => true), 10_000);
    await h.supervisor.stop();
    const files = (await fs.readdir(h.dir)).filter((f) => f.startsWith('vector.log')).sort();
    expect(files).toEqual(['vector.log', 'vector.log.1', 'vector.log.2']);
    for (const f of files) expect((await fs.stat(path.join(h.dir, f))).size).toBeLessThanOrEqual(4096 + 1024);
    expect(await fs.readFile(`${log}.1`, 'utf8')).toMatch(/^line \d+ x+$/m);
  });

  it('reaps a vector left behind by a previous agent process', async () => {
    const h = await harness();
    await fs.writeFile(h.configFile, pipeline('orphan'));
    const left = spawn(h.vectorCli.bin, ['--config', h.configFile], {
      env: h.vectorCli.env,
      stdio: 'ignore',
      detached: true,
    });
    await waitFor('the orphan to load', () => h.vectorState());
    await fs.writeFile(path.join(h.dir, 'vector.pid'), JSON.stringify({ pid: left.pid }));
    await h.supervisor.reapStale();
    await waitFor('the orphan to exit', () => !isAlive(left.pid as number));
  });
});
