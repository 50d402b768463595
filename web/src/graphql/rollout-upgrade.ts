/** Upgrade rollouts from the agents list: the preview of a staged upgrade of a selection, and starting it. */
import { graphql } from '../../../codegen/gql/index.ts';

export const UpgradePlanDefaultsQuery = graphql(`
  query UpgradePlanDefaults {
    rolloutPlanDefaults {
      ...RolloutPlanFields
    }
  }
`);

export const UpgradeRolloutPreviewQuery = graphql(`
  query UpgradeRolloutPreview(
    $agentIds: [ID!]
    $filter: AgentFilter
    $release: String!
    $plan: RolloutPlanInput
  ) {
    upgradeRolloutPreview(agentIds: $agentIds, filter: $filter, release: $release, plan: $plan) {
      __typename
      ... on UpgradeRolloutPreviewPayload {
        preview {
          agents
          onRelease
          offline
          offlineOutcome
          supersedes
          stages {
            index
            size
            offline
            onRelease
            hostnames
          }
        }
      }
      ...MutationError
    }
  }
`);

export const StartUpgradeRolloutMutation = graphql(`
  mutation StartUpgradeRollout($input: StartUpgradeRolloutInput!) {
    startUpgradeRollout(input: $input) {
      __typename
      ... on StartUpgradeRolloutPayload {
        rollout {
          id
        }
      }
      ...MutationError
    }
  }
`);
