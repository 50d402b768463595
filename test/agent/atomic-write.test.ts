import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, type AgentFs } from '../../agent/state/atomic-write.ts';
import { spawnTs, tempDir, waitFor } from './helpers.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe('atomic write', () => {
  it('replaces the file and applies the requested mode', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = path.join(dir, 'agent-token');
    await writeFileAtomic(fs, file, 'old');
    await writeFileAtomic(fs, file, 'new', { mode: 0o600 });
    expect(await fs.readFile(file, 'utf8')).toBe('new');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['agent-token']);
  });

  it('leaves the old file and no temp file behind when the rename fails', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = path.join(dir, 'state.json');
    await writeFileAtomic(fs, file, 'old');
    const failing: AgentFs = {
      ...fs,
      rename: async () => {
        throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      },
    };
    await expect(writeFileAtomic(failing, file, 'new')).rejects.toThrow('EIO');
    expect(await fs.readFile(file, 'utf8')).toBe('old');
    expect(await fs.readdir(dir)).toEqual(['state.json']);
  });

  it('never leaves a mix of old and new bytes when the writer is killed with SIGKILL', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const file = path.join(dir, 'vector.yaml');
    const a = `a: ${'A'.repeat(256 * 1024)}\n`;
    const b = `b: ${'B'.repeat(300 * 1024)}\n`;
    for (let round = 0; round < 3; round++) {
      const child = spawnTs(path.join(import.meta.dirname, 'fixtures/atomic-writer.ts'), [file]);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await waitFor('the writer to start', () => out.includes('ready'), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 37));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const content = await fs.readFile(file, 'utf8');
      expect(content === a || content === b).toBe(true);
    }
  });
});
