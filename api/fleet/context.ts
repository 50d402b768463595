/**
 * What every fleet function receives: the database, the event bus, a clock and a few settings.
 * Built once by api/app.ts (tests build their own); no module-level singletons.
 */
import type { Prisma, PrismaClient, Role } from '../generated/prisma/client.ts';
import type { EventBus } from './events.ts';
import type { SecretKeyring } from './secret-crypto.ts';

export type Clock = () => Date;
export type Tx = Prisma.TransactionClient;

export interface FleetSettings {
  /** How long an action may wait for its agent before the sweep expires it. */
  actionTtlMs: number;
  /** Versions of agent releases the server can hand out (kept in sync by releases.ts). */
  publicUrl: string | undefined;
  /** Keys for secret values (FLOTILLA_SECRET_KEY); absent: secrets can be neither stored nor read. */
  secretKeys?: SecretKeyring;
}

export interface FleetContext {
  db: PrismaClient;
  events: EventBus;
  clock: Clock;
  settings: FleetSettings;
}

/** Who performs a change; written to the audit log and used for role checks. */
export interface Actor {
  type: 'user' | 'api_token' | 'agent' | 'system' | 'cli';
  id: string | null;
  label: string;
  role: Role | null;
}

/** The actor for changes made by the server itself (sweeps, start-up). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'system', role: null };

/** The actor for changes made with `npm run flotilla` on the server host. */
export const CLI_ACTOR: Actor = { type: 'cli', id: null, label: 'cli', role: 'admin' };
