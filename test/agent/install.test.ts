/**
 * agent/deploy/install.sh as the server serves it (GET /install.sh, URL and version filled in),
 * run into a temp root (--root) against the real server: the documented layout, enrolment, and
 * refusal of a bundle whose SHA-256 does not match. The first server has no executable, so the
 * script falls back to the bundle and Node; a second one offers the single executable
 * (agent-executable.ts), which the script prefers, with no Node to fall back to.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { agentBundle } from './agent-fixture.ts';
import { agentExecutable } from './agent-executable.ts';
import { groupWithToken } from './e2e-fleet.ts';
import { REPO, tempDir } from './helpers.ts';

const VERSION = '9.1.0';
let server: TestServer;
let work: string;
let script: string;

beforeAll(async () => {
  let bundle: string;
  [server, bundle, work] = await Promise.all([
    startTestServer({ agentVersion: VERSION }),
    agentBundle(VERSION),
    tempDir('flotilla-install-'),
  ]);
  await registerRelease(server.ctx, { version: VERSION, bundle: await fs.readFile(bundle) });
  const res = await fetch(`${server.baseUrl}/install.sh`);
  expect(res.status).toBe(200);
  script = path.join(work, 'install.sh');
  await fs.writeFile(script, await res.text());
});
afterAll(async () => {
  await server?.close();
  await fs.rm(work, { recursive: true, force: true });
});

function install(args: string[], installScript = script, node = process.execPath) {
  return promisify(execFile)('sh', [installScript, ...args], {
    env: { ...process.env, FLOTILLA_NODE: node },
  });
}

const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('install.sh', { timeout: 60_000 }, () => {
  it('is served with the server URL and the agent version filled in', async () => {
    const text = await fs.readFile(script, 'utf8');
    expect(text).toContain(`FLOTILLA_URL="\${FLOTILLA_URL:-${server.baseUrl}}"`);
    expect(text).toContain(`FLOTILLA_VERSION="\${FLOTILLA_VERSION:-${VERSION}}"`);
  });

  it('installs the documented layout into a temp root and enrols the host', async () => {
    const { group, token } = await groupWithToken(server);
    const root = path.join(work, 'root');
    const { stdout } = await install(['--root', root, '--token', token, '--no-systemctl']);
    expect(stdout).toContain('checksum ok');

    const bundle = path.join(root, 'opt/flotilla-agent/versions', VERSION, 'flotilla-agent.mjs');
    expect(await mode(bundle)).toBe(0o755);
    expect(await fs.readlink(path.join(root, 'opt/flotilla-agent/current'))).toBe(`versions/${VERSION}`);
    expect(await fs.realpath(path.join(root, 'usr/bin/flotilla-agent'))).toBe(await fs.realpath(bundle));
    expect(await mode(path.join(root, 'etc/flotilla-agent'))).toBe(0o700);
    expect(await mode(path.join(root, 'etc/flotilla-agent/agent-token'))).toBe(0o600);
    expect(await fs.readFile(path.join(root, 'etc/flotilla-agent/agent-token'), 'utf8')).toMatch(/^AGT_/);
    for (const dir of ['var/lib/flotilla-agent', 'var/lib/flotilla-agent/vector', 'var/log/flotilla-agent']) {
      expect(await mode(path.join(root, dir))).toBe(0o750);
    }
    const unit = await fs.readFile(path.join(root, 'etc/systemd/system/flotilla-agent.service'), 'utf8');
    expect(unit).toContain(
      `ExecStart=${process.execPath} /opt/flotilla-agent/current/flotilla-agent.mjs run`,
    );
    expect(unit).toContain('User=flotilla-agent');

    const identity = JSON.parse(await fs.readFile(path.join(root, 'etc/flotilla-agent/agent.json'), 'utf8'));
    const agent = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: identity.agentId } });
    expect(agent).toMatchObject({ groupId: group.id, agentVersion: VERSION });

    const { stdout: status } = await promisify(execFile)(
      path.join(root, 'usr/bin/flotilla-agent'),
      [
        'status',
        '--json',
        `--config-dir=${root}/etc/flotilla-agent`,
        `--state-dir=${root}/var/lib/flotilla-agent`,
      ],
      { env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } },
    );
    expect(JSON.parse(status)).toMatchObject({
      enrolled: true,
      agentId: identity.agentId,
      agentVersion: VERSION,
    });
  });

  it('refuses a bundle whose SHA-256 does not match and installs nothing', async () => {
    const root = path.join(work, 'bad-root');
    const failure = await install(['--root', root, '--sha256', '0'.repeat(64), '--no-systemctl']).catch(
      (e) => e,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('checksum mismatch');
    await expect(fs.stat(path.join(root, 'opt'))).rejects.toThrow();
  });

  it('embeds exactly agent/deploy/flotilla-agent.service as the unit it installs', async () => {
    const source = await fs.readFile(path.join(REPO, 'agent/deploy/install.sh'), 'utf8');
    const embedded = /<<'UNIT_EOF'\n([\s\S]*?)UNIT_EOF\n/.exec(source)?.[1];
    expect(embedded).toBe(await fs.readFile(path.join(REPO, 'agent/deploy/flotilla-agent.service'), 'utf8'));
  });
});

describe('install.sh with the single executable', { timeout: 300_000 }, () => {
  const EXE_VERSION = '1.0.0';
  let exeServer: TestServer;
  let exeScript: string;

  beforeAll(async () => {
    exeServer = await startTestServer({
      agentVersion: EXE_VERSION,
      agentExecutable: await agentExecutable(EXE_VERSION),
    });
    exeScript = path.join(work, 'install-exe.sh');
    await fs.writeFile(exeScript, await (await fetch(`${exeServer.baseUrl}/install.sh`)).text());
  }, 300_000);
  afterAll(async () => {
    await exeServer?.close();
  });

  it('serves the executable for its own platform only, and none without one', async () => {
    const here = `${process.platform}-${process.arch}`;
    const res = await fetch(`${exeServer.baseUrl}/deploy/flotilla-agent-${here}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-release-version')).toBe(EXE_VERSION);
    expect(res.headers.get('x-release-sha256')).toMatch(/^[0-9a-f]{64}$/);
    await res.arrayBuffer();
    for (const url of [
      `${exeServer.baseUrl}/deploy/flotilla-agent-plan9-mips`,
      `${server.baseUrl}/deploy/flotilla-agent-${here}`,
    ]) {
      const missing = await fetch(url);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('release_not_found');
    }
  });

  it('prefers the executable: installs and enrols with no Node.js to fall back to', async () => {
    const { token } = await groupWithToken(exeServer);
    const root = path.join(work, 'exe-root');
    const { stdout } = await install(
      ['--root', root, '--token', token, '--no-systemctl'],
      exeScript,
      '/bin/false',
    );
    expect(stdout).toContain('the single executable');
    const exe = path.join(root, 'opt/flotilla-agent/versions', EXE_VERSION, 'flotilla-agent');
    expect(await mode(exe)).toBe(0o755);
    expect(await fs.realpath(path.join(root, 'usr/bin/flotilla-agent'))).toBe(await fs.realpath(exe));
    const unit = await fs.readFile(path.join(root, 'etc/systemd/system/flotilla-agent.service'), 'utf8');
    expect(unit).toContain('\nExecStart=/opt/flotilla-agent/current/flotilla-agent run\n');
    const identity = JSON.parse(await fs.readFile(path.join(root, 'etc/flotilla-agent/agent.json'), 'utf8'));
    const agent = await exeServer.ctx.db.agent.findUniqueOrThrow({ where: { id: identity.agentId } });
    expect(agent.agentVersion).toBe(EXE_VERSION);
  });
});
