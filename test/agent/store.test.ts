import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentFs } from '../../agent/state/atomic-write.ts';
import { StateStore } from '../../agent/state/store.ts';
import { memoryLogger, tempDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function newStore() {
  const dir = await tempDir();
  dirs.push(dir);
  const paths = {
    stateFile: path.join(dir, 'state.json'),
    identityFile: path.join(dir, 'agent.json'),
    tokenFile: path.join(dir, 'agent-token'),
  };
  const { log, records } = memoryLogger();
  return { store: new StateStore(fs, paths, log), paths, records };
}

describe('state store', () => {
  it('starts empty when there is no state file', async () => {
    const { store } = await newStore();
    expect(await store.load()).toMatchObject({ appliedConfigVersion: 0, inFlight: null, seenActionIds: [] });
  });

  it('persists updates so a new process reads them back', async () => {
    const { store, paths } = await newStore();
    await store.load();
    await store.update((s) => {
      s.appliedConfigVersion = 4;
      s.seenActionIds.push('a1');
      s.configError = { version: 5, message: 'x bad' };
    });
    const again = new StateStore(fs, paths, memoryLogger().log);
    expect(await again.load()).toMatchObject({
      appliedConfigVersion: 4,
      seenActionIds: ['a1'],
      configError: { version: 5, message: 'x bad' },
    });
    expect((await fs.stat(paths.stateFile)).mode & 0o777).toBe(0o600);
  });

  it('applies concurrent updates one after the other without losing any', async () => {
    const { store, paths } = await newStore();
    await store.load();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update((s) => {
          s.seenActionIds.push(`id-${i}`);
        }),
      ),
    );
    const again = new StateStore(fs, paths, memoryLogger().log);
    expect((await again.load()).seenActionIds).toHaveLength(20);
  });

  it('keeps the previous state in memory when a write fails, and later updates still run', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let failNext = false;
    const flaky: AgentFs = {
      ...fs,
      rename: async (from, to) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
        }
        return fs.rename(from, to);
      },
    };
    const paths = {
      stateFile: path.join(dir, 's.json'),
      identityFile: path.join(dir, 'i'),
      tokenFile: path.join(dir, 't'),
    };
    const store = new StateStore(flaky, paths, memoryLogger().log);
    await store.load();
    await store.update((s) => void (s.appliedConfigVersion = 1));
    failNext = true;
    await expect(store.update((s) => void (s.appliedConfigVersion = 2))).rejects.toThrow('ENOSPC');
    expect(store.current.appliedConfigVersion).toBe(1);
    await store.update((s) => void (s.appliedConfigVersion = 3));
    expect(store.current.appliedConfigVersion).toBe(3);
  });

  it('treats a corrupt state file as empty and says so in the log', async () => {
    const { store, paths, records } = await newStore();
    await fs.writeFile(paths.stateFile, '{"appliedConfigVersion": "seven"');
    expect((await store.load()).appliedConfigVersion).toBe(0);
    expect(records.some((r) => String(r.msg).includes('corrupt'))).toBe(true);
  });

  it('stores the identity with a 0600 token and reads it back; no identity means not enrolled', async () => {
    const { store, paths } = await newStore();
    expect(await store.readCredentials()).toBeNull();
    await store.writeIdentity(
      { agentId: 'a-1', apiUrl: 'http://h', groupId: 'g', enrolledAt: 'now' },
      'AGT_secret',
    );
    expect((await fs.stat(paths.tokenFile)).mode & 0o777).toBe(0o600);
    expect(await store.readCredentials()).toMatchObject({
      agentId: 'a-1',
      agentToken: 'AGT_secret',
      apiUrl: 'http://h',
    });
    await fs.rm(paths.tokenFile);
    expect(await store.readCredentials()).toBeNull();
  });
});
