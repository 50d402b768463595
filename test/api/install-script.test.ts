/**
 * GET /install.sh is piped into `sudo sh`: a forged Host or X-Forwarded-Proto must never become
 * shell code in the served script. Each hostile value is tried against the real server; when a
 * script comes back, its assignments are actually run by sh with a marker file as the payload.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../api/config.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

const run = promisify(execFile);
let server: TestServer;
let work: string;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_TRUST_PROXY: 'true' }, agentVersion: '1.2.3' });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-install-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET /install.sh with exactly these headers (Host included), over a raw node:http request. */
function getScript(baseUrl: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL('/install.sh', baseUrl);
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, headers, setHost: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Run the script's FLOTILLA_URL / FLOTILLA_VERSION assignments with sh; resolve what they set. */
async function runAssignments(script: string): Promise<string> {
  const lines = script.split('\n').filter((l) => /^FLOTILLA_(URL|VERSION)=/.test(l));
  expect(lines).toHaveLength(2);
  await run('sh', ['-n', '-c', script]);
  const { stdout } = await run(
    'sh',
    ['-c', `${lines.join('\n')}\nprintf '%s|%s' "$FLOTILLA_URL" "$FLOTILLA_VERSION"`],
    {
      cwd: work,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  );
  return stdout;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

describe('install.sh', () => {
  it('never lets a hostile Host or X-Forwarded-Proto run as shell code', async () => {
    const marker = path.join(work, 'pwned');
    const payloads = [
      `x$(touch ${marker})`,
      `x\`touch ${marker}\``,
      `x"; touch ${marker}; "`,
      `x}$(touch ${marker})`,
      `127.0.0.1:1$(touch ${marker})`,
      `x'$(touch ${marker})'`,
      `x\\$(touch ${marker})`,
    ];
    const requests: Record<string, string>[] = [
      ...payloads.map((host) => ({ host })),
      ...payloads.map((proto) => ({ host: 'flotilla.example.com', 'x-forwarded-proto': proto })),
      { host: 'flotilla.example.com', 'x-forwarded-proto': `https$(touch ${marker}),http` },
    ];
    for (const headers of requests) {
      const answer = await getScript(server.baseUrl, headers);
      if (answer.status === 200) {
        await runAssignments(answer.body);
      } else {
        expect(answer.status, JSON.stringify(headers)).toBe(400);
        expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('invalid_header');
      }
      expect(await exists(marker), JSON.stringify(headers)).toBe(false);
    }
  });

  it('serves a plain host and forwarded scheme as literal values, never cached', async () => {
    const answer = await getScript(server.baseUrl, {
      host: 'flotilla.example.com:8443',
      'x-forwarded-proto': 'https',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await runAssignments(answer.body)).toBe('https://flotilla.example.com:8443|1.2.3');
  });

  it('prefers FLOTILLA_PUBLIC_URL over the request’s headers', async () => {
    const pinned = await startTestServer({
      testDb: server.testDb,
      env: { FLOTILLA_PUBLIC_URL: 'https://fleet.example.org/flotilla/', FLOTILLA_TRUST_PROXY: 'true' },
      agentVersion: '1.2.3',
    });
    try {
      const marker = path.join(work, 'pinned');
      const answer = await getScript(pinned.baseUrl, {
        host: `x$(touch ${marker})`,
        'x-forwarded-proto': `http$(touch ${marker})`,
      });
      expect(answer.status).toBe(200);
      expect(await runAssignments(answer.body)).toBe('https://fleet.example.org/flotilla|1.2.3');
      expect(await exists(marker)).toBe(false);
    } finally {
      await pinned.close();
    }
  });

  it('refuses a FLOTILLA_PUBLIC_URL a shell would expand, at start', () => {
    expect(() => loadConfig({ FLOTILLA_PUBLIC_URL: 'https://x.example.com/$(id)' })).toThrow(
      /FLOTILLA_PUBLIC_URL/,
    );
    expect(loadConfig({ FLOTILLA_PUBLIC_URL: 'https://x.example.com/' }).publicUrl).toBe(
      'https://x.example.com',
    );
  });
});
