/**
 * `GET /install.sh`: agent/deploy/install.sh with the server's URL and the agent version filled in.
 * Users pipe it into `sudo sh`, so every value substituted into it must be inert in POSIX sh: the
 * template places them inside `"${VAR:-…}"`, where `$`, backquotes, quotes, backslashes and `}`
 * would be live. Values are therefore restricted to a strict character set; a request whose Host
 * or X-Forwarded-Proto falls outside it gets 400 and no script. FLOTILLA_PUBLIC_URL, when set, is
 * used instead of the request's headers (production should set it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { publicBaseUrl, type TrustedProxies } from './http/request-info.ts';
import { ErrorCode } from './protocol/v1.ts';
import { sendError } from './rest/http.ts';

const INSTALL_SCRIPT = path.resolve(import.meta.dirname, '../agent/deploy/install.sh');

/**
 * http(s), a host name or IPv4 address or bracketed IPv6 address, an optional port and an
 * optional path of unreserved characters: nothing a shell would expand inside double quotes.
 */
const SHELL_SAFE_URL =
  /^https?:\/\/(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~\/-]*)?$/;
/** Agent versions written into install.sh and the served DaemonSet. */
export const SHELL_SAFE_VERSION = /^[0-9A-Za-z.+-]{0,64}$/;

/** True when `url` can be written into install.sh without any shell expansion (see SHELL_SAFE_URL). */
export function isShellSafeUrl(url: string): boolean {
  return SHELL_SAFE_URL.test(url);
}

export interface InstallScriptOptions {
  publicUrl: string | undefined;
  trustProxy: TrustedProxies;
  /** Version of the agent built from this repository; empty when none. */
  agentVersion: string | undefined;
}

/**
 * Answer the install script: 200 with `Cache-Control: no-store`; 400 `invalid_header` when the
 * URL derived from the request is not shell-safe; 404 when the script is missing. Rejects only on
 * an unexpected file system error (the caller answers 500).
 */
export async function serveInstallScript(
  options: InstallScriptOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const baseUrl = publicBaseUrl(
    { publicUrl: options.publicUrl, trustProxy: options.trustProxy },
    req.headers,
  );
  const version = options.agentVersion ?? '';
  if (baseUrl === null || !isShellSafeUrl(baseUrl) || !SHELL_SAFE_VERSION.test(version)) {
    return sendError(
      res,
      400,
      ErrorCode.invalidHeader,
      'the Host (or X-Forwarded-Proto) of this request cannot form the server URL; set FLOTILLA_PUBLIC_URL',
    );
  }
  const script = await fs.readFile(INSTALL_SCRIPT, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (script === null) return sendError(res, 404, ErrorCode.notFound, 'install script not available');
  const body = script.replaceAll('__FLOTILLA_URL__', baseUrl).replaceAll('__FLOTILLA_VERSION__', version);
  res.writeHead(200, {
    'content-type': 'text/x-shellscript; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
