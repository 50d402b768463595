/**
 * The agent's own version. `npm run build:agent` replaces `__FLOTILLA_AGENT_VERSION__` with the
 * package version (or FLOTILLA_AGENT_BUILD_VERSION); running from source reports `0.0.0-dev`.
 */
declare const __FLOTILLA_AGENT_VERSION__: string | undefined;

export const AGENT_VERSION: string =
  typeof __FLOTILLA_AGENT_VERSION__ === 'string' ? __FLOTILLA_AGENT_VERSION__ : '0.0.0-dev';

declare const __FLOTILLA_AGENT_EXECUTABLE__: boolean | undefined;

/**
 * True in the single executable (`npm run build:sea` defines it): that agent carries its own Node and
 * cannot run a downloaded bundle, so it is upgraded by its package, not by `upgrade_agent`.
 */
export const AGENT_IS_EXECUTABLE: boolean =
  typeof __FLOTILLA_AGENT_EXECUTABLE__ === 'boolean' && __FLOTILLA_AGENT_EXECUTABLE__;

/** File name of the bundle inside a versioned install directory. */
export const BUNDLE_NAME = 'flotilla-agent.mjs';
