/** The fleet settings (fleetSettings) and their change (updateFleetSettings, admins). */
import { graphql } from '../../../codegen/gql/index.ts';

export const FleetSettingFragment = graphql(`
  fragment FleetSettingValue on FleetSetting {
    value
    stored
    default
    min
    max
    unit
  }
`);

export const FleetSettingsFragment = graphql(`
  fragment FleetSettingsPanel_settings on FleetSettings {
    heartbeatIntervalSeconds {
      ...FleetSettingValue
    }
    pollIntervalSeconds {
      ...FleetSettingValue
    }
    offlineAfterSeconds {
      ...FleetSettingValue
    }
    actionDeadlineSeconds {
      ...FleetSettingValue
    }
    retainActionsDays {
      ...FleetSettingValue
    }
    retainAuditDays {
      ...FleetSettingValue
    }
    retainRevokedAgentsDays {
      ...FleetSettingValue
    }
    retainDiagnosticsDays {
      ...FleetSettingValue
    }
    revision
    updatedAt
    updatedBy
  }
`);

export const FleetSettingsQuery = graphql(`
  query FleetSettings {
    fleetSettings {
      ...FleetSettingsPanel_settings
    }
  }
`);

export const UpdateFleetSettingsMutation = graphql(`
  mutation UpdateFleetSettings($input: UpdateFleetSettingsInput!) {
    updateFleetSettings(input: $input) {
      __typename
      ... on UpdateFleetSettingsPayload {
        settings {
          ...FleetSettingsPanel_settings
        }
      }
      ...MutationError
    }
  }
`);
