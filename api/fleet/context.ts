/**
 * What every fleet function receives: the database, the event bus, a clock, a few settings from
 * the environment and the fleet settings in effect.
 * Built once per process by createFleetContext (the server, the admin CLI; tests build their
 * own); no module-level singletons.
 */
import type { Prisma, PrismaClient, Role } from '../generated/prisma/client.ts';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db.ts';
import type { EventBus } from './events.ts';
import type { SecretKeyring } from './secret-crypto.ts';
import { LiveSettings } from './settings-live.ts';
import { settingDefaults } from './settings-rules.ts';

export type Clock = () => Date;
export type Tx = Prisma.TransactionClient;

export interface FleetSettings {
  /**
   * FLOTILLA_PUBLIC_URL without a trailing slash, or undefined: then each request's scheme and Host
   * give the base URL (install.sh, release download URLs, the GraphQL same-origin check).
   */
  publicUrl: string | undefined;
  /** Agent tokens are rotated this many days after issue (0: only on request); default 90. */
  tokenRotationDays?: number;
  /** Keys for secret values (FLOTILLA_SECRET_KEY); absent: secrets can be neither stored nor read. */
  secretKeys?: SecretKeyring;
}

export interface FleetContext {
  db: PrismaClient;
  events: EventBus;
  clock: Clock;
  settings: FleetSettings;
  /**
   * The fleet settings an admin changes at run time (settings.ts): offline threshold, action
   * deadline, retention, the intervals advertised to agents. Read `tuning.current` when needed,
   * never keep a copy: it changes without a restart.
   */
  tuning: LiveSettings;
}

/** Who performs a change; written to the audit log and used for role checks. */
export interface Actor {
  /** `anonymous`: someone not signed in (a failed sign-in names the email they tried). */
  type: 'user' | 'api_token' | 'agent' | 'system' | 'cli' | 'anonymous';
  id: string | null;
  label: string;
  role: Role | null;
}

/** The actor for changes made by the server itself (start-up chores such as re-encrypting secrets). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'system', role: null };

/** The actor for changes made with `npm run flotilla` on the server host. */
export const CLI_ACTOR: Actor = { type: 'cli', id: null, label: 'cli', role: 'admin' };

/** The fleet context for a configuration, an opened database and a bus. Never fails. */
export function createFleetContext(deps: {
  config: Pick<ServerConfig, 'actionTtlMs' | 'retention' | 'publicUrl' | 'secretKeys'> &
    Partial<Pick<ServerConfig, 'tokenRotationDays'>>;
  db: Pick<Db, 'prisma'>;
  events: EventBus;
  clock?: Clock;
}): FleetContext {
  return {
    db: deps.db.prisma,
    events: deps.events,
    clock: deps.clock ?? (() => new Date()),
    tuning: new LiveSettings(deps.db.prisma, deps.events, settingDefaults(deps.config)),
    settings: {
      publicUrl: deps.config.publicUrl,
      secretKeys: deps.config.secretKeys,
      tokenRotationDays: deps.config.tokenRotationDays,
    },
  };
}
