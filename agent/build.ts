/**
 * `npm run build:agent`: bundles agent/main.ts and its dependencies (zod, yaml, api/protocol) into
 * one ES module that runs on Node >= 20 without node_modules, with the version stamped in.
 * Version: FLOTILLA_AGENT_BUILD_VERSION, else package.json's. Output: FLOTILLA_AGENT_BUILD_OUT,
 * else dist/agent/flotilla-agent.mjs.
 */
import { build } from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface BuildResult {
  outFile: string;
  version: string;
  bytes: number;
}

/**
 * Builds the bundle to `outFile` (directories created, mode 0755). Rejects with esbuild's error
 * when the sources do not compile; a partial file is never left behind (esbuild writes at the end).
 */
export async function buildAgent(options: { outFile: string; version: string }): Promise<BuildResult> {
  await fs.mkdir(path.dirname(options.outFile), { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'agent/main.ts')],
    outfile: options.outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { __FLOTILLA_AGENT_VERSION__: JSON.stringify(options.version) },
    banner: {
      js: [
        '#!/usr/bin/env node',
        `// flotilla-agent ${options.version}`,
        "import { createRequire as __flotillaCreateRequire } from 'node:module';",
        'const require = __flotillaCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  await fs.chmod(options.outFile, 0o755);
  const { size } = await fs.stat(options.outFile);
  return { outFile: options.outFile, version: options.version, bytes: size };
}

/** The version to stamp: FLOTILLA_AGENT_BUILD_VERSION or package.json's version. */
export async function buildVersion(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.FLOTILLA_AGENT_BUILD_VERSION) return env.FLOTILLA_AGENT_BUILD_VERSION;
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outFile = path.resolve(
    process.env.FLOTILLA_AGENT_BUILD_OUT ?? path.join(ROOT, 'dist/agent/flotilla-agent.mjs'),
  );
  const result = await buildAgent({ outFile, version: await buildVersion(process.env) });
  process.stdout.write(
    `built ${path.relative(process.cwd(), result.outFile)} (${result.version}, ${result.bytes} bytes)\n`,
  );
}
