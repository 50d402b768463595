/**
 * `GET /deploy/flotilla-agent-<os>-<arch>` (e.g. `linux-x64`, Node's `process.platform` and
 * `process.arch`): the agent's single executable (`npm run build:sea`, dist/agent/flotilla-agent)
 * for install.sh, which prefers it to the bundle. A server has the executable of its own build
 * machine only: it is served when the path names that platform and the executable reports the
 * agent version the server offers (a stale build is not served), with `x-release-sha256` and
 * `x-release-version`. Otherwise 404 `release_not_found`, and install.sh falls back to the bundle
 * and Node. This is a deploy file, not part of the agent protocol: agents never fetch it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ErrorCode, headers } from './protocol/v1.ts';
import { sendError } from './rest/http.ts';

export const EXECUTABLE_PATH_PREFIX = '/deploy/flotilla-agent-';
/** Where `npm run build:sea` writes the executable. */
export const AGENT_EXECUTABLE = path.resolve(import.meta.dirname, '../dist/agent/flotilla-agent');

interface Described {
  /** mtime and size the description was made for. */
  stamp: string;
  version: string;
  sha256: string;
  size: number;
}

const described = new Map<string, Promise<Described | null>>();

/** Version, SHA-256 and size of `file`, recomputed when its mtime or size change; null when absent. */
async function describe(file: string): Promise<Described | null> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return null;
  const stamp = `${stat.mtimeMs}:${stat.size}`;
  const cached = await described.get(file);
  if (cached?.stamp === stamp) return cached;
  const next = (async (): Promise<Described | null> => {
    const { stdout } = await promisify(execFile)(file, ['version'], { timeout: 20_000 });
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return { stamp, version: stdout.trim(), sha256: hash.digest('hex'), size: stat.size };
  })().catch(() => null);
  described.set(file, next);
  return next;
}

/**
 * Answer GET /deploy/flotilla-agent-<platform> with `executable` (undefined: this server has none).
 * Rejects only on an unexpected file system error while streaming (the caller answers 500).
 */
export async function serveAgentExecutable(
  options: { executable: string | undefined; agentVersion: string | undefined },
  res: ServerResponse,
  platform: string,
): Promise<void> {
  const found = options.executable ? await describe(options.executable) : null;
  const here = `${process.platform}-${process.arch}`;
  if (!found || !options.agentVersion || found.version !== options.agentVersion || platform !== here) {
    const offered = found?.version === options.agentVersion ? `, only ${here}` : '';
    return sendError(
      res,
      404,
      ErrorCode.releaseNotFound,
      `this server has no agent executable for ${platform}${offered}: install the bundle with Node.js`,
    );
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': found.size,
    [headers.releaseSha256]: found.sha256,
    'x-release-version': found.version,
    'cache-control': 'no-store',
  });
  await pipeline(createReadStream(options.executable as string), res);
}
