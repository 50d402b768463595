/**
 * `npm run build:deb`: the agent as a Debian package, from the single executable (build-sea.ts),
 * built with `dpkg-deb` for the build machine's architecture. Contents: /usr/bin/flotilla-agent,
 * the systemd unit (agent/deploy/flotilla-agent.service with the executable in ExecStart and
 * without /opt, which a package may not use), the maintainer scripts and lintian overrides of
 * agent/deploy/deb/, a copyright file and a changelog. Output: FLOTILLA_AGENT_DEB_OUT_DIR, else
 * dist/agent/, as flotilla-agent_<version>_<arch>.deb (a pre-release `-` becomes `~`); the
 * executable goes where build-sea.ts puts it (FLOTILLA_AGENT_SEA_OUT).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildVersion } from './build.ts';
import { buildSea } from './build-sea.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEPLOY = path.join(ROOT, 'agent/deploy');
const run = promisify(execFile);
/** Date of every file in the package and of its changelog entry (SOURCE_DATE_EPOCH overrides). */
const DEFAULT_SOURCE_DATE_EPOCH = '1767225600'; // 2026-01-01

export interface DebResult {
  debFile: string;
  packageVersion: string;
  architecture: string;
}

/** The package version for an agent version: semver's pre-release `-` sorts like Debian's `~`. */
export function debVersion(version: string): string {
  return version.replace('-', '~');
}

/** The unit as the package installs it (throws when the template no longer has the lines it edits). */
export function packagedUnit(template: string): string {
  const edits: [string, string][] = [
    [
      'ExecStart=/usr/bin/node /opt/flotilla-agent/current/flotilla-agent.mjs run',
      'ExecStart=/usr/bin/flotilla-agent run',
    ],
    [' /var/log/flotilla-agent /opt/flotilla-agent\n', ' /var/log/flotilla-agent\n'],
    [
      '# /etc/systemd/system/flotilla-agent.service (install.sh puts the absolute path of node in ExecStart).',
      '# /etc/systemd/system/flotilla-agent.service; the flotilla-agent package installs this variant.',
    ],
  ];
  return edits.reduce((unit, [from, to]) => {
    if (!unit.includes(from)) throw new Error(`flotilla-agent.service: expected "${from.trim()}"`);
    return unit.replace(from, to);
  }, template);
}

/** The lowest libc6 the executable needs: the highest GLIBC_2.x symbol version it references. */
function libcNeeded(binary: Buffer): string {
  const versions = [...binary.toString('latin1').matchAll(/GLIBC_2\.(\d+)(?:\.(\d+))?\0/g)].map((m) => [
    Number(m[1]),
    Number(m[2] ?? 0),
  ]);
  const [minor, patch] = versions.sort((a, b) => b[0] - a[0] || b[1] - a[1])[0] ?? [17, 0];
  return patch ? `2.${minor}.${patch}` : `2.${minor}`;
}

function control(o: { version: string; arch: string; libc: string; installedKb: number }): string {
  return [
    'Package: flotilla-agent',
    `Version: ${o.version}`,
    `Architecture: ${o.arch}`,
    'Maintainer: Flotilla maintainers <maintainers@flotilla.invalid>',
    `Installed-Size: ${o.installedKb}`,
    `Depends: libc6 (>= ${o.libc}), libgcc-s1, libstdc++6, adduser`,
    'Recommends: vector',
    'Section: admin',
    'Priority: optional',
    'Description: Flotilla agent: pulls its Vector config from Flotilla',
    ' The agent of a Flotilla fleet: enrols with the Flotilla server, fetches and',
    ' validates the Vector configuration of its group, runs and reloads Vector, and',
    ' reports heartbeats and telemetry. One executable with its own Node.js runtime:',
    ' the host needs no Node.js.',
    '',
  ].join('\n');
}

/**
 * Packages `executable` (built by buildSea with the same `version`) into `outDir`; resolves the
 * .deb's path. File dates are fixed (SOURCE_DATE_EPOCH), so the same executable gives the same
 * bytes. Rejects with dpkg-deb's error.
 */
export async function buildDeb(options: {
  outDir: string;
  executable: string;
  version: string;
}): Promise<DebResult> {
  const { version, executable } = options;
  const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  const packageVersion = debVersion(version);
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-deb-'));
  try {
    const at = (...parts: string[]) => path.join(stage, ...parts);
    const doc = at('usr/share/doc/flotilla-agent');
    for (const dir of ['DEBIAN', 'usr/bin', 'lib/systemd/system', 'usr/share/lintian/overrides']) {
      await fs.mkdir(at(dir), { recursive: true, mode: 0o755 });
    }
    await fs.mkdir(doc, { recursive: true, mode: 0o755 });
    await fs.copyFile(executable, at('usr/bin/flotilla-agent'));
    await fs.chmod(at('usr/bin/flotilla-agent'), 0o755);
    const unit = packagedUnit(await fs.readFile(path.join(DEPLOY, 'flotilla-agent.service'), 'utf8'));
    await fs.writeFile(at('lib/systemd/system/flotilla-agent.service'), unit, { mode: 0o644 });
    await fs.copyFile(path.join(DEPLOY, 'deb/copyright'), path.join(doc, 'copyright'));
    const epoch = process.env.SOURCE_DATE_EPOCH ?? DEFAULT_SOURCE_DATE_EPOCH;
    const changelog =
      `flotilla-agent (${packageVersion}) unstable; urgency=medium\n\n` +
      `  * Flotilla agent ${version}, built from the Flotilla repository.\n\n` +
      ` -- Flotilla maintainers <maintainers@flotilla.invalid>  ${new Date(Number(epoch) * 1000).toUTCString().replace('GMT', '+0000')}\n`;
    await fs.writeFile(path.join(doc, 'changelog.gz'), gzipSync(changelog, { level: 9 }));
    await fs.copyFile(
      path.join(DEPLOY, 'deb/lintian-overrides'),
      at('usr/share/lintian/overrides/flotilla-agent'),
    );
    for (const script of ['postinst', 'prerm', 'postrm']) {
      await fs.copyFile(path.join(DEPLOY, 'deb', script), at('DEBIAN', script));
      await fs.chmod(at('DEBIAN', script), 0o755);
    }
    for (const file of [
      'usr/share/doc/flotilla-agent/copyright',
      'usr/share/lintian/overrides/flotilla-agent',
    ]) {
      await fs.chmod(at(file), 0o644);
    }
    const binary = await fs.readFile(executable);
    const installedKb = Math.ceil((binary.length + unit.length + 8192) / 1024);
    await fs.writeFile(
      at('DEBIAN/control'),
      control({ version: packageVersion, arch, libc: libcNeeded(binary), installedKb }),
    );
    await fs.mkdir(options.outDir, { recursive: true });
    const debFile = path.join(options.outDir, `flotilla-agent_${packageVersion}_${arch}.deb`);
    await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, debFile], {
      env: { ...process.env, SOURCE_DATE_EPOCH: epoch },
    });
    return { debFile, packageVersion, architecture: arch };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = path.resolve(process.env.FLOTILLA_AGENT_DEB_OUT_DIR ?? path.join(ROOT, 'dist/agent'));
  const seaFile = path.resolve(
    process.env.FLOTILLA_AGENT_SEA_OUT ?? path.join(ROOT, 'dist/agent/flotilla-agent'),
  );
  const version = await buildVersion(process.env);
  const sea = await buildSea({ outFile: seaFile, version });
  const result = await buildDeb({ outDir, executable: sea.outFile, version });
  process.stdout.write(`built ${path.relative(process.cwd(), result.debFile)}\n`);
}
