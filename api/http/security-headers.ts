/**
 * The security headers of every HTML page this server sends (the dashboard and GraphiQL), written
 * once: no framing (X-Frame-Options and frame-ancestors), no MIME sniffing, same-origin referrers,
 * and a Content-Security-Policy that loads scripts only from this origin (no inline script, no
 * CDN). Styles may be inline: PrimeVue and GraphiQL's editor set style attributes at run time.
 */

/** The Content-Security-Policy shared by every page; `workers` adds GraphiQL's editor workers. */
function contentSecurityPolicy(options: { workers: boolean }): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    ...(options.workers ? ["worker-src 'self'"] : []),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}

function pageHeaders(csp: string): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  });
}

/** Headers of the dashboard's files (index.html and its assets). */
export const DASHBOARD_HEADERS = pageHeaders(contentSecurityPolicy({ workers: false }));

/** Headers of the GraphiQL page and its assets (its editor runs web workers from this origin). */
export const GRAPHIQL_HEADERS = pageHeaders(contentSecurityPolicy({ workers: true }));
