/**
 * `npm run build:sea`: the agent as one executable that needs no Node.js on the host (Node's
 * single-executable applications). esbuild bundles agent/sea-entry.ts into one CommonJS script
 * (what an executable runs), `node --experimental-sea-config` turns it into a blob, and `postject`
 * injects the blob into a copy of the Node binary running this build (`process.execPath`): the
 * executable is for the build machine's OS and architecture, and nothing is downloaded.
 * Output: FLOTILLA_AGENT_SEA_OUT, else dist/agent/flotilla-agent; version as for build.ts.
 * A build whose script, Node binary and postject are unchanged is reused (see `seaCacheKey`).
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { buildVersion } from './build.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The fuse Node's executables look for (Node's documentation, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SeaResult {
  outFile: string;
  version: string;
  bytes: number;
  /** False when an executable built from the same inputs was reused. */
  built: boolean;
}

interface Postject {
  inject(file: string, name: string, blob: Buffer, options: { sentinelFuse: string }): Promise<void>;
}

/** postject from node_modules, or from FLOTILLA_POSTJECT (a directory holding its package). */
function loadPostject(env: NodeJS.ProcessEnv): Postject {
  const from = env.FLOTILLA_POSTJECT ? path.resolve(env.FLOTILLA_POSTJECT, 'noop.js') : import.meta.filename;
  return createRequire(from)('postject') as Postject;
}

/** The CommonJS script the executable runs: the whole agent, version stamped in. */
async function bundleScript(version: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'agent/sea-entry.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    // import.meta is empty in CommonJS, as expected: transport/http.ts falls back to __filename.
    logOverride: { 'empty-import-meta': 'silent' },
    define: { __FLOTILLA_AGENT_VERSION__: JSON.stringify(version), __FLOTILLA_AGENT_EXECUTABLE__: 'true' },
    banner: { js: `// flotilla-agent ${version} (single executable)` },
  });
  return result.outputFiles[0].text;
}

/** SHA-256 of what decides the executable's bytes: the script, the Node binary, the fuse. */
async function seaCacheKey(script: string): Promise<string> {
  const node = await fs.readFile(process.execPath);
  return crypto.createHash('sha256').update(script).update(node).update(SEA_FUSE).digest('hex');
}

/**
 * Builds the executable to `outFile` (directories created, mode 0755), or reuses the one there when
 * `<outFile>.key` records the same inputs. Written beside and renamed, so a failed build leaves no
 * half-injected file. Rejects with the failing step's error (esbuild, node, postject).
 */
export async function buildSea(options: {
  outFile: string;
  version: string;
  env?: NodeJS.ProcessEnv;
}): Promise<SeaResult> {
  const { outFile, version } = options;
  const script = await bundleScript(version);
  const key = await seaCacheKey(script);
  const keyFile = `${outFile}.key`;
  const done = async (built: boolean): Promise<SeaResult> => ({
    outFile,
    version,
    bytes: (await fs.stat(outFile)).size,
    built,
  });
  const previous = await fs.readFile(keyFile, 'utf8').catch(() => '');
  if (previous === key && (await fs.stat(outFile).catch(() => null))) return done(false);

  const postject = loadPostject(options.env ?? process.env);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-sea-'));
  try {
    const scriptFile = path.join(work, 'agent.cjs');
    const blobFile = path.join(work, 'agent.blob');
    const configFile = path.join(work, 'sea-config.json');
    await fs.writeFile(scriptFile, script);
    const config = { main: scriptFile, output: blobFile, disableExperimentalSEAWarning: true };
    await fs.writeFile(configFile, JSON.stringify(config));
    await promisify(execFile)(process.execPath, ['--experimental-sea-config', configFile], { cwd: work });
    const staged = path.join(work, 'flotilla-agent');
    await fs.copyFile(process.execPath, staged);
    await fs.chmod(staged, 0o755);
    await postject.inject(staged, 'NODE_SEA_BLOB', await fs.readFile(blobFile), { sentinelFuse: SEA_FUSE });
    await fs.mkdir(path.dirname(outFile), { recursive: true });
    await fs.copyFile(staged, `${outFile}.tmp`);
    await fs.rename(`${outFile}.tmp`, outFile);
    await fs.writeFile(keyFile, key);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  return done(true);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outFile = path.resolve(
    process.env.FLOTILLA_AGENT_SEA_OUT ?? path.join(ROOT, 'dist/agent/flotilla-agent'),
  );
  const started = Date.now();
  const result = await buildSea({ outFile, version: await buildVersion(process.env) });
  const how = result.built ? `built in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'unchanged';
  process.stdout.write(
    `${how}: ${path.relative(process.cwd(), result.outFile)} (${result.version}, ${result.bytes} bytes)\n`,
  );
}
