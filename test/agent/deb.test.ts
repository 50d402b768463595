/**
 * The Debian package (`npm run build:deb`): built from the shared single executable
 * (agent-executable.ts), checked by lintian (no errors, no warnings: the ones that do not apply to
 * a Node executable are overridden with a reason in agent/deploy/deb/lintian-overrides; a clean
 * verdict is remembered for the same package bytes), its
 * control data and file list inspected, then unpacked with `dpkg-deb -x` into a temp root (never
 * installed on this machine) and the packaged executable run against the test server with the
 * stand-in Vector. The maintainer scripts are checked for shell syntax here; README → "Installing
 * the agent" documents what they do.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTABLE_UPGRADE_REASON } from '../../agent/actions/upgrade.ts';
import { buildDeb, debVersion, packagedUnit } from '../../agent/build-deb.ts';
import { createActions } from '../../api/fleet/actions.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { AgentHost } from './agent-fixture.ts';
import { agentExecutable } from './agent-executable.ts';
import { agentIdOf, agentRowWhere, configVersion, groupWithToken } from './e2e-fleet.ts';
import { REPO, tempDir, waitFor } from './helpers.ts';

const run = promisify(execFile);
const VERSION = '1.0.0';
let server: TestServer;
let work: string;
let deb: string;

beforeAll(async () => {
  work = await tempDir('flotilla-deb-test-');
  const [started, executable] = await Promise.all([startTestServer(), agentExecutable(VERSION)]);
  server = started;
  deb = (await buildDeb({ outDir: work, executable, version: VERSION })).debFile;
}, 300_000);
afterAll(async () => {
  await server?.close();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

describe('the flotilla-agent .deb', { timeout: 240_000 }, () => {
  it('passes lintian with no errors and no warnings', async () => {
    // The package is reproducible (fixed file dates), so a clean verdict is kept per package bytes
    // and lintian version: a run with an unchanged agent skips lintian's ~10 s of CPU.
    const lintianVersion = (await run('lintian', ['--version'])).stdout.trim();
    const key = createHash('sha256')
      .update(await fs.readFile(deb))
      .update(lintianVersion)
      .digest('hex');
    const verdict = path.join(os.tmpdir(), 'flotilla-agent-sea', `lintian-clean-${key}`);
    if (await fs.stat(verdict).catch(() => null)) return;
    // binaries/spelling spell-checks the strings of the Node binary (7 of lintian's 16 s of CPU
    // here); its one tag, spelling-error-in-binary, is info, so it cannot change this verdict.
    const { stdout } = await run('lintian', ['--fail-on', 'error', '-X', 'binaries/spelling', deb], {
      maxBuffer: 4 << 20,
    });
    expect(stdout.split('\n').filter((line) => /^[EW]: /.test(line))).toEqual([]);
    await fs.writeFile(verdict, stdout);
  });

  it('holds the executable, the unit and the maintainer scripts, and never the agent’s identity', async () => {
    const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
    expect(path.basename(deb)).toBe(`flotilla-agent_${VERSION}_${arch}.deb`);
    const info = (await run('dpkg-deb', ['-I', deb])).stdout;
    expect(info).toMatch(/^ Package: flotilla-agent$/m);
    expect(info).toMatch(new RegExp(`^ Architecture: ${arch}$`, 'm'));
    expect(info).toMatch(/^ Depends: libc6 \(>= 2\.\d+\), .*adduser$/m);
    for (const script of ['postinst', 'prerm', 'postrm']) expect(info).toContain(` ${script}`);
    const files = (await run('dpkg-deb', ['-c', deb], { maxBuffer: 4 << 20 })).stdout;
    expect(files).toMatch(/^-rwxr-xr-x root\/root +\d+ [\d-]+ [\d:]+ \.\/usr\/bin\/flotilla-agent$/m);
    expect(files).toContain('./lib/systemd/system/flotilla-agent.service');
    expect(files).not.toMatch(/\.\/(opt|etc|var)\//);
  });

  it('has maintainer scripts that parse, and maps pre-release versions for dpkg', async () => {
    for (const script of ['postinst', 'prerm', 'postrm']) {
      await run('sh', ['-n', path.join(REPO, 'agent/deploy/deb', script)]);
    }
    expect(debVersion('1.2.0-rc.1')).toBe('1.2.0~rc.1');
    expect(() => packagedUnit('[Service]\n')).toThrow(/expected "ExecStart=/);
  });

  it('runs from the unpacked package: enrols, applies its config, and refuses upgrade_agent', async () => {
    const root = path.join(work, 'root');
    await run('dpkg-deb', ['-x', deb, root]);
    const unit = await fs.readFile(path.join(root, 'lib/systemd/system/flotilla-agent.service'), 'utf8');
    expect(unit).toContain('\nExecStart=/usr/bin/flotilla-agent run\n');
    expect(unit).not.toContain('/opt/');
    const executable = path.join(root, 'usr/bin/flotilla-agent');
    expect((await run(executable, ['version'])).stdout.trim()).toBe(VERSION);

    const { group, token } = await groupWithToken(server);
    const host = await AgentHost.create();
    try {
      await host.enrol(executable, server.baseUrl, token);
      const agentId = await agentIdOf(server, group.id);
      host.start(executable);
      const version = await configVersion(server, group.id);
      await agentRowWhere(
        server,
        agentId,
        'the packaged agent running its config',
        (r) => r.appliedConfigVersion === version && r.vectorRunning && r.agentVersion === VERSION,
      );
      await registerRelease(server.ctx, { version: '9.9.9', bundle: Buffer.from('// a release\n') });
      const { actions } = await createActions(server.ctx, CLI_ACTOR, {
        agentIds: [agentId],
        type: 'upgrade_agent',
        payload: { targetVersion: '9.9.9' },
      });
      const action = await waitFor('the upgrade to be refused', async () => {
        const row = await server.ctx.db.action.findUniqueOrThrow({ where: { id: actions[0].id } });
        return row.status === 'failed' ? row : undefined;
      });
      expect(action.result).toMatchObject({ reason: EXECUTABLE_UPGRADE_REASON });
    } finally {
      await host.dispose();
    }
  });
});
