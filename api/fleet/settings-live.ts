/**
 * The fleet settings in effect on this replica: read from the database at start, and read again
 * when the bus says they changed (`settingsChanged`, from whichever replica changed them) and on
 * every sweep (a message missed while Redis was away heals within one sweep interval). Reads are
 * synchronous, so hot paths (heartbeat answers, status predicates) never wait for the database.
 * A read older than the one held (lower `revision`) never replaces it.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { EventBus } from './events.ts';
import {
  SETTING_KEYS,
  tuningOf,
  type FleetTuning,
  type SettingDefaults,
  type SettingValues,
  type SettingsSnapshot,
} from './settings-rules.ts';

/** The stored row's columns as a SettingValues (every key null when there is no row yet). */
export function storedValues(row: Partial<Record<keyof SettingValues, number | null>> | null): SettingValues {
  return Object.fromEntries(SETTING_KEYS.map((k) => [k, row?.[k] ?? null])) as SettingValues;
}

/** One replica's view of the fleet settings; built by createFleetContext, started by the server. */
export class LiveSettings {
  private held: SettingsSnapshot;
  private tuning: FleetTuning;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: PrismaClient,
    private readonly events: EventBus,
    defaults: SettingDefaults,
  ) {
    this.held = { stored: storedValues(null), defaults, revision: 0, updatedAt: null, updatedBy: '' };
    this.tuning = tuningOf(this.held);
  }

  /** The settings in effect (defaults until the first read). Never throws. */
  get current(): FleetTuning {
    return this.tuning;
  }

  /** What is stored, the defaults and the last change (for the settings page). */
  get snapshot(): SettingsSnapshot {
    return this.held;
  }

  /** Read the stored settings; rejects when the database cannot be read (the held ones stay). */
  async reload(): Promise<SettingsSnapshot> {
    const row = await this.db.fleetSettings.findUnique({ where: { id: 1 } });
    if (row)
      this.adopt({
        stored: storedValues(row),
        defaults: this.held.defaults,
        revision: row.revision,
        updatedAt: row.updatedAt,
        updatedBy: row.updatedBy,
      });
    return this.held;
  }

  /** Take `snapshot` unless the one held is newer (a write this replica just committed, or a read). */
  adopt(snapshot: SettingsSnapshot): void {
    if (snapshot.revision < this.held.revision) return;
    this.held = snapshot;
    this.tuning = tuningOf(snapshot);
  }

  /** Read once and follow `settingsChanged`; rejects when the first read fails. */
  async start(onError: (error: unknown) => void): Promise<void> {
    this.unsubscribe ??= this.events.subscribe('settingsChanged', () => {
      this.reload().catch(onError);
    });
    await this.reload();
  }

  /** Stop following the bus. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
