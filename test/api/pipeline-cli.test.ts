/** `npm run flotilla -- pipeline export|plan|apply` against a running server with an API token. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../api/cli/main.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline } from '../helpers/factories.ts';
import { createTestUser, type TestUser } from '../graphql/helpers.ts';

let server: TestServer;
let editor: TestUser;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-pipeline-cli-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let out = '';
  const io = {
    stdin: process.stdin,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (out += text) },
    env: { FLOTILLA_TOKEN: editor.token },
  };
  const code = await runCli(['pipeline', ...argv], io);
  return { code, out };
}

describe('pipeline CLI', () => {
  it('exports, plans and applies a file once; an invalid file is refused with the component named', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const file = path.join(dir, `${group.slug}.yaml`);
    const target = ['--server', server.baseUrl, '--group', group.slug];
    expect((await cli('export', ...target, '--file', file)).code).toBe(0);
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('format: json', 'format: syslog'));
    const plan = await cli('plan', ...target, '--file', file);
    expect(plan).toMatchObject({ code: 0 });
    expect(plan.out).toContain('changed demo (options.format)');
    expect(plan.out).toContain('+    format: syslog');
    expect(await cli('apply', ...target, '--file', file, '--message', 'from CI')).toEqual({
      code: 0,
      out: `published version ${group.configVersion + 1}\n`,
    });
    expect((await cli('apply', ...target, '--file', file, '--message', 'again')).out).toContain('no change');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('- demo', '- ghost'));
    const refused = await cli('apply', ...target, '--file', file, '--message', 'broken');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('config_invalid');
    expect(refused.out).toContain('out');
  });
});
