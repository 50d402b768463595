/**
 * Fleet settings: fleet-wide tuning stored in the database (table fleet_settings, one row) that an
 * admin changes at run time — the heartbeat and poll intervals advertised to agents, the offline
 * threshold, the default action deadline and retention. Their rules (bounds, defaults, the rule
 * across settings) are settings-rules.ts; what each replica holds is settings-live.ts.
 *
 * A change is validated (zod, the bounds of settings-rules.ts, then the offline threshold against
 * the heartbeat interval), written with its audit event (`fleet.settings`, before/after of the
 * stored values) in one transaction, and announced with `settingsChanged`, on which every replica
 * reads the settings again: it takes effect without a restart.
 */
import { z } from 'zod';
import { roleAtLeast } from './users.ts';
import { recordAudit } from './audit.ts';
import { FleetError, FleetErrorCode, validationError } from './errors.ts';
import type { Actor, FleetContext } from './context.ts';
import { inTransaction } from './transaction.ts';
import { parseInput } from './validate.ts';
import { storedValues } from './settings-live.ts';
import {
  SETTING_KEYS,
  SETTING_RULES,
  offlineThresholdProblem,
  type SettingKey,
  type SettingValues,
  type SettingsSnapshot,
} from './settings-rules.ts';

/** A setting in an update: a whole number within its bounds, null to go back to the default, absent to keep it. */
const settingField = (key: SettingKey) => {
  const { min, max, unit } = SETTING_RULES[key];
  return z
    .number()
    .int(`whole ${unit}`)
    .min(min, `at least ${min} ${unit}`)
    .max(max, `at most ${max} ${unit}`)
    .nullable()
    .optional();
};

const UpdateFleetSettingsInput = z.strictObject(
  Object.fromEntries(SETTING_KEYS.map((k) => [k, settingField(k)])) as Record<
    SettingKey,
    ReturnType<typeof settingField>
  >,
);

/** The settings as stored, with their defaults, as this replica holds them now. Never throws. */
export function fleetSettings(ctx: FleetContext): SettingsSnapshot {
  return ctx.tuning.snapshot;
}

/**
 * Change the fleet settings (admins only): each key given is set (a number) or cleared (null, back
 * to its default); absent keys are kept, and a change that changes nothing writes nothing. Throws forbidden for a non-admin, validation_failed naming
 * the field for a value out of bounds or an offline threshold below two heartbeat intervals.
 * Resolves the new snapshot, already in effect on this replica; the others follow on the bus.
 */
export async function updateFleetSettings(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<SettingsSnapshot> {
  if (!roleAtLeast(actor.role, 'admin')) {
    throw new FleetError(FleetErrorCode.forbidden, 'only an admin can change the fleet settings');
  }
  const changes = parseInput(UpdateFleetSettingsInput, input);
  const snapshot = await inTransaction(ctx, async (tx, emit) => {
    await tx.$executeRaw`INSERT INTO fleet_settings (id) VALUES (1) ON CONFLICT (id) DO NOTHING`;
    await tx.$executeRaw`SELECT 1 FROM fleet_settings WHERE id = 1 FOR UPDATE`;
    const current = await tx.fleetSettings.findUniqueOrThrow({ where: { id: 1 } });
    const before = storedValues(current);
    const stored: SettingValues = { ...before };
    for (const key of SETTING_KEYS) if (changes[key] !== undefined) stored[key] = changes[key];
    const held = { defaults: ctx.tuning.snapshot.defaults, updatedBy: current.updatedBy };
    if (Object.keys(changed(before, stored)).length === 0)
      return { ...held, stored, revision: current.revision, updatedAt: current.updatedAt };
    const now = ctx.clock();
    const next: SettingsSnapshot = {
      stored,
      defaults: held.defaults,
      revision: current.revision + 1,
      updatedAt: now,
      updatedBy: actor.label,
    };
    const problem = offlineThresholdProblem(next);
    if (problem) {
      const path =
        changes.offlineAfterSeconds !== undefined ? 'offlineAfterSeconds' : 'heartbeatIntervalSeconds';
      throw validationError([{ path, message: problem }]);
    }
    await tx.fleetSettings.update({
      where: { id: 1 },
      data: { ...stored, revision: next.revision, updatedAt: now, updatedBy: actor.label },
    });
    const target = { type: 'fleet_settings', id: null };
    await recordAudit(tx, actor, 'fleet.settings', target, changed(before, stored), changed(stored, before));
    emit('settingsChanged', { revision: next.revision });
    return next;
  });
  ctx.tuning.adopt(snapshot);
  return snapshot;
}

/** The keys of `a` whose value differs from `b` (an audit before/after names only what changed). */
function changed(a: SettingValues, b: SettingValues): Partial<SettingValues> {
  return Object.fromEntries(SETTING_KEYS.filter((k) => a[k] !== b[k]).map((k) => [k, a[k]]));
}
