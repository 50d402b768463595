/**
 * Served deploy files: GET /deploy/daemonset.yaml?group=<slug> is agent/deploy/daemonset.yaml with
 * this server's URL, agent version and the group's Secret filled in, and every document validates
 * against the Kubernetes API schema (kubernetes-models); bad requests get the REST error shape,
 * and a forged Host never reaches the YAML. GET /deploy/flotilla-agent.service passes
 * `systemd-analyze verify`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { DEPLOY_SECRET_NAME } from '../../api/deploy-files.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline } from '../helpers/factories.ts';

const run = promisify(execFile);
const VERSION = '0.10';
let server: TestServer;
let slug: string;
let work: string;
beforeAll(async () => {
  server = await startTestServer({ agentVersion: VERSION });
  slug = (await createGroupWithPipeline(server.ctx)).slug;
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-deploy-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
});

/** GET `pathAndQuery` with exactly `headers` (Host included) over a raw node:http request. */
function get(pathAndQuery: string, headers: Record<string, string> = {}) {
  const url = new URL(server.baseUrl);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: pathAndQuery,
        headers: { host: url.host, ...headers },
        setHost: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  DaemonSet,
};

describe('GET /deploy/daemonset.yaml', () => {
  it('fills in URL, version and Secret, and validates against the Kubernetes schema', async () => {
    const res = await get(`/deploy/daemonset.yaml?group=${slug}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/yaml; charset=utf-8');
    const docs = parseAllDocuments(res.body);
    expect(Array.isArray(docs)).toBe(true);
    const objects = (docs as { errors: unknown[]; toJS(): Record<string, unknown> }[]).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS();
    });
    expect(objects.map((o) => o.kind)).toEqual([
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
    ]);
    for (const object of objects) new MODELS[object.kind as string](object as never).validate();
    // The schema check can fail: a DaemonSet without a pod template is refused.
    const broken = { ...objects[3], spec: { selector: {} } };
    expect(() => new DaemonSet(broken as never).validate()).toThrow();

    const pod = new DaemonSet(objects[3] as never).spec!.template.spec!;
    const env = [...pod.initContainers!, ...pod.containers].flatMap((c) => c.env ?? []);
    const value = (name: string) => env.filter((e) => e.name === name).map((e) => e.value ?? e.valueFrom);
    expect(value('FLOTILLA_URL')).toEqual([server.baseUrl]);
    expect(value('FLOTILLA_AGENT_API_URL')).toEqual([server.baseUrl]);
    expect(value('FLOTILLA_VERSION')).toEqual([VERSION]);
    expect(value('FLOTILLA_AGENT_TOKEN')).toEqual([
      { secretKeyRef: { name: DEPLOY_SECRET_NAME, key: 'token', optional: true } },
    ]);
    expect(res.body).toContain(`create secret generic ${DEPLOY_SECRET_NAME} --from-literal=token=EBT_`);
    expect(res.body).not.toContain('flotilla.example.com');
    // The template (and through test/web/lib.test.ts, the dashboard's install steps) name the same Secret.
    const template = await fs.readFile(
      path.resolve(import.meta.dirname, '../../agent/deploy/daemonset.yaml'),
      'utf8',
    );
    expect(template).toContain(`name: ${DEPLOY_SECRET_NAME}, key: token`);
  });

  it('answers bad requests with the error shape', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['/deploy/daemonset.yaml?group=no-such-group', {}, 404, 'group_not_found'],
      ['/deploy/daemonset.yaml', {}, 400, 'invalid_query'],
      [`/deploy/daemonset.yaml?group=${encodeURIComponent("x'\n  kind: Pod")}`, {}, 400, 'invalid_query'],
      [`/deploy/daemonset.yaml?group=${slug}`, { host: "evil'host" }, 400, 'invalid_header'],
    ];
    for (const [url, headers, status, code] of cases) {
      const res = await get(url, headers);
      expect({ url, status: res.status, body: JSON.parse(res.body) }).toEqual({
        url,
        status,
        body: { error: { code, message: expect.any(String) } },
      });
    }
  });
});

describe('GET /deploy/flotilla-agent.service', () => {
  it('serves the unit, and it passes systemd-analyze verify', async () => {
    const res = await get('/deploy/flotilla-agent.service');
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      await fs.readFile(
        path.resolve(import.meta.dirname, '../../agent/deploy/flotilla-agent.service'),
        'utf8',
      ),
    );
    // verify checks that ExecStart's program exists and is executable; install.sh writes the real
    // path of node there, so the test copy points it at an executable of its own.
    const program = path.join(work, 'node');
    await fs.writeFile(program, '#!/bin/sh\n', { mode: 0o755 });
    const verify = async (unit: string) => {
      const file = path.join(work, 'flotilla-agent.service');
      await fs.writeFile(file, unit.replace(/^ExecStart=\S+/m, `ExecStart=${program}`));
      return run('/usr/bin/systemd-analyze', ['verify', file]).then(
        ({ stderr }) => ({ ok: true, stderr }),
        (error: { stderr: string }) => ({ ok: false, stderr: error.stderr }),
      );
    };
    expect(await verify(res.body)).toEqual({ ok: true, stderr: '' });
    // The check can fail: an unknown key is reported (systemd ignores it, so the exit code stays 0).
    const typo = await verify(res.body.replace('Restart=always', 'Restrat=always'));
    expect(typo.stderr).toContain("Unknown key 'Restrat'");
  });
});
