/**
 * Fleet settings (api/fleet/settings.ts): the fleetSettings query for every signed-in user (nothing
 * in them is secret, and viewers already see the offline threshold in fleetRules), and
 * updateFleetSettings for admins. Each setting carries its bounds and unit, so clients keep no copy.
 */
import { builder } from '../builder.ts';
import { actorOf, fleetInput } from '../context.ts';
import { ValidationError, runFleet } from '../errors.ts';
import { fleetSettings, updateFleetSettings } from '../../fleet/settings.ts';
import {
  SETTING_KEYS,
  SETTING_RULES,
  SETTING_UNITS,
  settingValue,
  type SettingKey,
  type SettingsSnapshot,
} from '../../fleet/settings-rules.ts';

const SettingUnit = builder.enumType('SettingUnit', {
  description: 'The unit of a fleet setting’s numbers.',
  values: SETTING_UNITS,
});

interface SettingView {
  snapshot: SettingsSnapshot;
  key: SettingKey;
}

const FleetSetting = builder.objectRef<SettingView>('FleetSetting').implement({
  description: 'One fleet setting: the value in effect, what is stored, its default and its bounds.',
  fields: (t) => ({
    value: t.int({
      nullable: true,
      description:
        'In effect now: the stored value, else the default. Null only for an agent interval left unset (agents keep their own).',
      resolve: ({ snapshot, key }) => settingValue(snapshot, key),
    }),
    stored: t.int({
      nullable: true,
      description: 'Set by an admin; null: the default applies.',
      resolve: ({ snapshot, key }) => snapshot.stored[key],
    }),
    default: t.int({
      nullable: true,
      description:
        'What applies while nothing is stored: the FLOTILLA_* environment value or the built-in one (null for the agent intervals).',
      resolve: ({ snapshot, key }) => snapshot.defaults[key],
    }),
    min: t.int({ resolve: ({ key }) => SETTING_RULES[key].min }),
    max: t.int({ resolve: ({ key }) => SETTING_RULES[key].max }),
    unit: t.field({ type: SettingUnit, resolve: ({ key }) => SETTING_RULES[key].unit }),
  }),
});

const DESCRIPTIONS: Record<SettingKey, string> = {
  heartbeatIntervalSeconds:
    'How often agents heartbeat, advertised in heartbeat answers (agents clamp it into the protocol bounds).',
  pollIntervalSeconds:
    'How often agents that do not long-poll ask for their config, advertised like the heartbeat.',
  offlineAfterSeconds:
    'An agent is offline once its last heartbeat is older than this; at least two heartbeat intervals.',
  actionDeadlineSeconds: 'How long a new action may wait for its agent before it expires.',
  retainActionsDays: 'Finished actions are deleted this many days after they were created.',
  retainAuditDays: 'Audit events older than this are deleted.',
  retainRevokedAgentsDays:
    'Revoked agents (and their actions) are deleted this many days after the revocation.',
  retainDiagnosticsDays:
    'Diagnostics bundles (collect_diagnostics) are deleted this many days after the upload.',
};

const FleetSettings = builder.objectRef<SettingsSnapshot>('FleetSettings').implement({
  description: 'Fleet-wide tuning, changed at run time by admins; every replica follows a change.',
  fields: (t) => ({
    ...Object.fromEntries(
      SETTING_KEYS.map((key) => [
        key,
        t.field({
          type: FleetSetting,
          description: DESCRIPTIONS[key],
          resolve: (snapshot) => ({ snapshot, key }),
        }),
      ]),
    ),
    revision: t.exposeInt('revision', { description: 'Grows with every change; 0: never changed.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    updatedBy: t.exposeString('updatedBy', { description: 'Who changed them last (empty: nobody yet).' }),
  }),
});

builder.queryField('fleetSettings', (t) =>
  t.field({
    type: FleetSettings,
    authScopes: { viewer: true },
    description: 'The fleet settings in effect on this server.',
    resolve: (_root, _args, ctx) => fleetSettings(ctx.fleet),
  }),
);

const UpdateFleetSettingsInput = builder.inputType('UpdateFleetSettingsInput', {
  description: 'Settings left out keep their values; null goes back to the default.',
  fields: (t) =>
    Object.fromEntries(SETTING_KEYS.map((key) => [key, t.int({ description: DESCRIPTIONS[key] })])) as Record<
      SettingKey,
      ReturnType<typeof t.int>
    >,
});

builder.mutationField('updateFleetSettings', (t) =>
  t.field({
    type: FleetSettings,
    description:
      'Admins: change fleet settings (audited as fleet.settings); effective at once on every replica.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateFleetSettingsInput, required: true }) },
    errors: { types: [ValidationError], dataField: { name: 'settings' } },
    resolve: (_root, { input }, ctx) =>
      runFleet(() => updateFleetSettings(ctx.fleet, actorOf(ctx), fleetInput(input, SETTING_KEYS))),
  }),
);
