/**
 * Start-up chores shared by `npm start` and the admin CLI: the first admin from the environment,
 * and registering the agent bundle built from this repository as a release.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.ts';
import { CLI_ACTOR, SYSTEM_ACTOR, type FleetContext } from './fleet/context.ts';
import { checkSecretKeys, rotateSecrets } from './fleet/secret-rotation.ts';
import { countUsers, createUser } from './fleet/users.ts';
import { registerRelease } from './fleet/releases.ts';

const AGENT_BUNDLE = path.resolve(import.meta.dirname, '../dist/agent/flotilla-agent.mjs');

/**
 * With no users yet: create the first admin from FLOTILLA_ADMIN_EMAIL/PASSWORD, or log how to
 * create one. Rejects when the database fails or the given admin is invalid.
 */
export async function ensureFirstAdmin(ctx: FleetContext, config: ServerConfig, log: Logger): Promise<void> {
  if ((await countUsers(ctx)) > 0) return;
  if (config.firstAdmin) {
    const user = await createUser(
      ctx,
      { ...CLI_ACTOR, type: 'system', label: 'FLOTILLA_ADMIN_EMAIL' },
      {
        ...config.firstAdmin,
        role: 'admin',
      },
    );
    log.info({ email: user.email }, 'created the first admin from FLOTILLA_ADMIN_EMAIL');
    return;
  }
  log.warn(
    'no users yet: create the first admin with `npm run flotilla -- user create --email you@example.com --role admin --password-stdin`, ' +
      'or start with FLOTILLA_ADMIN_EMAIL and FLOTILLA_ADMIN_PASSWORD set',
  );
}

/**
 * Register dist/agent/flotilla-agent.mjs (built by `npm run build:agent`) as a release under the
 * version it reports. Resolves that version, or undefined when no bundle was built. A bundle that
 * cannot report its version is logged and skipped.
 */
export async function registerBundledAgent(
  ctx: FleetContext,
  log: Logger,
  bundlePath = AGENT_BUNDLE,
): Promise<string | undefined> {
  const bundle = await fs.readFile(bundlePath).catch(() => null);
  if (!bundle) {
    log.warn(
      { bundlePath },
      'no agent bundle built (npm run build:agent): upgrades and install.sh have nothing to offer',
    );
    return undefined;
  }
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [bundlePath, 'version'], {
      timeout: 10_000,
    });
    const version = stdout.trim().split(/\s+/).pop() ?? '';
    await registerRelease(ctx, { version, bundle });
    log.info({ version }, 'agent release registered');
    return version;
  } catch (err) {
    log.error({ err, bundlePath }, 'could not register the agent bundle');
    return undefined;
  }
}

/**
 * Check that every stored secret decrypts with FLOTILLA_SECRET_KEY or a key of
 * FLOTILLA_SECRET_KEY_PREVIOUS, then re-encrypt those under a previous key with the current one.
 * Rejects with SecretKeyError (a ConfigurationError: the process prints it and exits) when secrets
 * exist but no key, or not the right one, is configured.
 */
export async function prepareSecrets(ctx: FleetContext, log: Logger): Promise<void> {
  await checkSecretKeys(ctx);
  const rotated = await rotateSecrets(ctx, SYSTEM_ACTOR);
  if (rotated > 0) log.info({ rotated }, 'secrets re-encrypted with the current FLOTILLA_SECRET_KEY');
}
