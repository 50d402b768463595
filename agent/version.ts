/**
 * The agent's own version. `npm run build:agent` replaces `__FLOTILLA_AGENT_VERSION__` with the
 * package version (or FLOTILLA_AGENT_BUILD_VERSION); running from source reports `0.0.0-dev`.
 */
declare const __FLOTILLA_AGENT_VERSION__: string | undefined;

export const AGENT_VERSION: string =
  typeof __FLOTILLA_AGENT_VERSION__ === 'string' ? __FLOTILLA_AGENT_VERSION__ : '0.0.0-dev';

/** File name of the bundle inside a versioned install directory. */
export const BUNDLE_NAME = 'flotilla-agent.mjs';
