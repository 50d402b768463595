/** The fleet summary (counts by status, version, config status and group) and its live updates. */
import { graphql } from '../../../codegen/gql/index.ts';

export const FleetSummaryQuery = graphql(`
  query FleetSummary {
    fleetSummary {
      agents
      ...StatusCards_summary
      agentVersions {
        ...VersionList_count
      }
      vectorVersions {
        ...VersionList_count
      }
      groups {
        ...GroupRolloutTable_rollout
      }
    }
  }
`);

export const FleetSummaryUpdatedSubscription = graphql(`
  subscription FleetSummaryUpdated {
    fleetSummaryUpdated {
      agents
      ...StatusCards_summary
      agentVersions {
        ...VersionList_count
      }
      vectorVersions {
        ...VersionList_count
      }
      groups {
        ...GroupRolloutTable_rollout
      }
    }
  }
`);

export const FleetRulesQuery = graphql(`
  query FleetRules {
    fleetRules {
      offlineAfterSeconds
      maxPageSize
      maxBulkAgents
      maxAuditExportRows
    }
  }
`);
