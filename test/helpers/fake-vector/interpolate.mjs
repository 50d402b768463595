// Environment-variable interpolation as in Vector's src/config/vars.rs: textual, before parsing.
import { hostname } from 'node:os';
import { versionAtLeast } from './version.mjs';

const PATTERN = /\$\$|\$([\w.]+)|\$\{([\w.]+)(?:(:?-|:?\?)([^}]*))?\}/g;

/**
 * Whether the impersonated version interpolates: always up to 0.51, on unless
 * --disable-env-var-interpolation for 0.52-0.56, off unless --dangerously-allow-env-var-interpolation from 0.57.
 */
export function interpolationEnabled(opts) {
  if (versionAtLeast('0.57.0')) return opts.dangerouslyAllowEnvVarInterpolation;
  return !opts.disableEnvVarInterpolation;
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}` and
 * `$$` in `text`. Returns `{text, errors}`; a missing variable without a default is an error, and so
 * is a value containing a newline. HOSTNAME falls back to the machine's host name.
 */
export function interpolate(text, env) {
  const vars = { HOSTNAME: hostname(), ...env };
  const errors = [];
  const result = text.replace(PATTERN, (match, bare, braced, flags = '', fallback = '') => {
    if (match === '$$') return '$';
    const name = bare ?? braced;
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value !== undefined && /[\n\r]/.test(value)) {
      errors.push(`Environment variable contains newline character. name = ${JSON.stringify(name)}`);
      return '';
    }
    const quoted = `name = ${JSON.stringify(name)}, error = ${JSON.stringify(fallback)}`;
    switch (flags) {
      case ':-':
        return value ? value : fallback;
      case '-':
        return value ?? fallback;
      case ':?':
        if (!value) errors.push(`Non-empty environment variable required in config. ${quoted}`);
        return value ?? '';
      case '?':
        if (value === undefined) errors.push(`Missing environment variable required in config. ${quoted}`);
        return value ?? '';
      default:
        if (value === undefined)
          errors.push(`Missing environment variable in config. name = ${JSON.stringify(name)}`);
        return value ?? '';
    }
  });
  return { text: result, errors };
}
