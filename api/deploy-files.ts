/**
 * Served deploy files, beside /install.sh (install-script.ts):
 *  - `GET /deploy/daemonset.yaml?group=<slug>`: agent/deploy/daemonset.yaml with the server's
 *    public URL, the agent version it serves and the name of the Secret holding the group's
 *    enrolment token (DEPLOY_SECRET_NAME) filled in. The YAML is edited as a document (comments kept),
 *    and every value is checked against a strict character set first (URL as for install.sh, the
 *    version, the slug as groups.ts allows it), so nothing a request carries can add YAML structure.
 *  - `GET /deploy/flotilla-agent.service`: agent/deploy/flotilla-agent.service as it is.
 * Errors use the REST error shape: 400 invalid_header (the request cannot form the URL; set
 * FLOTILLA_PUBLIC_URL), 400 invalid_query (no or malformed group), 404 group_not_found, 404
 * release_not_found (this server serves no agent release).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Scalar, isMap, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { FleetContext } from './fleet/context.ts';
import { SLUG_PATTERN } from './fleet/groups.ts';
import { publicBaseUrl, type TrustedProxies } from './http/request-info.ts';
import { isShellSafeUrl, SHELL_SAFE_VERSION } from './install-script.ts';
import { ErrorCode } from './protocol/v1.ts';
import { sendError } from './rest/http.ts';

const DEPLOY_DIR = path.resolve(import.meta.dirname, '../agent/deploy');
export const DAEMONSET_PATH = '/deploy/daemonset.yaml';
export const SYSTEMD_UNIT_PATH = '/deploy/flotilla-agent.service';

/**
 * The Secret (key `token`, namespace `flotilla`) the DaemonSet reads its enrolment token from: the
 * name the template agent/deploy/daemonset.yaml uses and the dashboard's install steps create
 * (one DaemonSet per namespace, so one Secret name; tests check all three agree).
 */
export const DEPLOY_SECRET_NAME = 'flotilla-agent-enrolment';

export interface DeployFileOptions {
  publicUrl: string | undefined;
  trustProxy: TrustedProxies;
  /** Version of the agent built from this repository; empty when none. */
  agentVersion: string | undefined;
}

function quoted(value: string): Scalar {
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_SINGLE;
  return scalar;
}

/** Set the env values (and the token Secret) of every container of the DaemonSet in `docs`. */
function fillDaemonSet(docs: Document[], values: { url: string; version: string; secret: string }): void {
  const daemonSet = docs.find((d) => d.get('kind') === 'DaemonSet');
  const pod = ['spec', 'template', 'spec'];
  const byName: Record<string, string> = {
    FLOTILLA_URL: values.url,
    FLOTILLA_AGENT_API_URL: values.url,
    FLOTILLA_VERSION: values.version,
  };
  let filled = 0;
  for (const list of ['initContainers', 'containers']) {
    const containers = daemonSet?.getIn([...pod, list]);
    if (!isSeq(containers)) continue;
    for (const container of containers.items) {
      const env = isMap(container) ? container.get('env') : null;
      if (!isSeq(env)) continue;
      for (const item of env.items) {
        if (!isMap(item)) continue;
        const name = String(item.get('name'));
        if (name in byName) {
          item.set('value', quoted(byName[name]));
          filled++;
        } else if (name === 'FLOTILLA_AGENT_TOKEN') {
          item.setIn(['valueFrom', 'secretKeyRef', 'name'], values.secret);
          filled++;
        }
      }
    }
  }
  if (filled !== 4)
    throw new Error(`agent/deploy/daemonset.yaml: expected 4 values to fill, found ${filled}`);
}

async function readDeployFile(name: string): Promise<string | null> {
  return fs.readFile(path.join(DEPLOY_DIR, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

function send(res: ServerResponse, contentType: string, body: string): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/**
 * Answer GET /deploy/daemonset.yaml for `group` (see the module comment for the statuses). Rejects
 * only on an unexpected file system or database error (the caller answers 500).
 */
export async function serveDaemonSet(
  ctx: FleetContext,
  options: DeployFileOptions,
  req: IncomingMessage,
  res: ServerResponse,
  group: string | null,
): Promise<void> {
  const url = publicBaseUrl({ publicUrl: options.publicUrl, trustProxy: options.trustProxy }, req.headers);
  if (url === null || !isShellSafeUrl(url)) {
    const message =
      'the Host (or X-Forwarded-Proto) of this request cannot form the server URL; set FLOTILLA_PUBLIC_URL';
    return sendError(res, 400, ErrorCode.invalidHeader, message);
  }
  if (group === null || !SLUG_PATTERN.test(group)) {
    return sendError(res, 400, ErrorCode.invalidQuery, 'group: give the slug of a group (?group=<slug>)');
  }
  const version = options.agentVersion ?? '';
  if (!version || !SHELL_SAFE_VERSION.test(version)) {
    return sendError(res, 404, ErrorCode.releaseNotFound, 'this server serves no agent release to deploy');
  }
  if (!(await ctx.db.group.findUnique({ where: { slug: group }, select: { id: true } }))) {
    return sendError(res, 404, ErrorCode.groupNotFound, `no group with slug "${group}"`);
  }
  const template = await readDeployFile('daemonset.yaml');
  if (template === null) return sendError(res, 404, ErrorCode.notFound, 'daemonset.yaml not available');
  const docs = parseAllDocuments(template);
  if (!Array.isArray(docs)) throw new Error('agent/deploy/daemonset.yaml is empty');
  const secret = DEPLOY_SECRET_NAME;
  fillDaemonSet(docs, { url, version, secret });
  const header =
    `# Served by ${url} for group "${group}". Before applying, store an enrolment token of that group:\n` +
    `#   kubectl -n flotilla create secret generic ${secret} --from-literal=token=EBT_...\n`;
  send(res, 'application/yaml; charset=utf-8', header + docs.map(String).join(''));
}

/** Answer GET /deploy/flotilla-agent.service. Rejects only on an unexpected file system error. */
export async function serveSystemdUnit(res: ServerResponse): Promise<void> {
  const unit = await readDeployFile('flotilla-agent.service');
  if (unit === null) return sendError(res, 404, ErrorCode.notFound, 'flotilla-agent.service not available');
  send(res, 'text/plain; charset=utf-8', unit);
}
