/** Config rollouts: one rollout live (stages, gates, agents of a stage), controls, plans and previews. */
import { graphql } from '../../../codegen/gql/index.ts';

export const RolloutPlanFieldsFragment = graphql(`
  fragment RolloutPlanFields on RolloutPlan {
    soakSeconds
    revertOnFailure
    newAgents
    stages {
      count
      percent
      soakSeconds
      selector {
        key
        value
      }
    }
    maxInFlight {
      count
      percent
    }
    gates {
      applyFailedRatio
      vectorStoppedRatio
      silentRatio
      componentErrorRate
      throughputDropRatio
      silentAfterHeartbeats
    }
  }
`);

export const RolloutPageFragment = graphql(`
  fragment RolloutPage on Rollout {
    id
    kind
    state
    active
    stage
    version
    previousVersion
    release
    reason
    stageStartedAt
    soakEndsAt
    createdBy
    createdAt
    updatedAt
    finishedAt
    group {
      id
      name
      slug
    }
    plan {
      ...RolloutPlanFields
    }
    gates {
      signal
      value
      threshold
      ok
    }
    stages {
      index
      size
      reached
      delivered
      applied
      failed
      stopped
      silent
      inFlight
      waiting
      reverted
    }
    supersededBy {
      id
      version
    }
    supersedes {
      id
      version
    }
  }
`);

export const RolloutQuery = graphql(`
  query Rollout($id: ID!) {
    rollout(id: $id) {
      ...RolloutPage
    }
  }
`);

export const RolloutUpdatedSubscription = graphql(`
  subscription RolloutUpdated($id: ID, $groupId: ID) {
    rolloutUpdated(id: $id, groupId: $groupId) {
      membershipChanged
      rollouts {
        ...RolloutPage
      }
    }
  }
`);

export const RolloutAgentsQuery = graphql(`
  query RolloutAgents($id: ID!, $stage: Int, $state: RolloutAgentState, $first: Int, $after: ID) {
    rollout(id: $id) {
      id
      agents(stage: $stage, state: $state, first: $first, after: $after) {
        totalCount
        hasNextPage
        endCursor
        nodes {
          hostname
          stage
          state
          reason
          assignedAt
          revertedAt
          agent {
            id
            configError {
              version
              message
            }
          }
        }
      }
    }
  }
`);

export const RolloutSummaryFragment = graphql(`
  fragment RolloutSummary on Rollout {
    id
    kind
    state
    stage
    version
    release
    reason
    group {
      id
      name
      slug
    }
    plan {
      stages {
        count
      }
    }
    stages {
      index
      size
      applied
      failed
    }
  }
`);

export const ActiveRolloutsQuery = graphql(`
  query ActiveRollouts {
    activeRollouts {
      ...RolloutSummary
    }
  }
`);

export const ActiveRolloutsUpdatedSubscription = graphql(`
  subscription ActiveRolloutsUpdated($groupId: ID) {
    rolloutUpdated(groupId: $groupId) {
      membershipChanged
      rollouts {
        active
        ...RolloutSummary
      }
    }
  }
`);

export const GroupActiveRolloutQuery = graphql(`
  query GroupActiveRollout($slug: String!) {
    group(slug: $slug) {
      id
      activeRollout {
        active
        ...RolloutSummary
      }
    }
  }
`);

export const RolloutPublishContextQuery = graphql(`
  query RolloutPublishContext($slug: String!) {
    rolloutPlanDefaults {
      ...RolloutPlanFields
    }
    group(slug: $slug) {
      id
      agentCount
      rolloutPlan {
        ...RolloutPlanFields
      }
      activeRollout {
        id
        state
        version
      }
    }
  }
`);

export const RolloutPreviewQuery = graphql(`
  query RolloutPreview($groupId: ID!, $plan: RolloutPlanInput) {
    rolloutPreview(groupId: $groupId, plan: $plan) {
      __typename
      ... on RolloutPreviewPayload {
        preview {
          agents
          stages {
            index
            size
            offline
            hostnames
          }
        }
      }
      ...MutationError
    }
  }
`);

export const SetGroupRolloutPlanMutation = graphql(`
  mutation SetGroupRolloutPlan($input: SetGroupRolloutPlanInput!) {
    setGroupRolloutPlan(input: $input) {
      __typename
      ... on SetGroupRolloutPlanPayload {
        group {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const PauseRolloutMutation = graphql(`
  mutation PauseRollout($input: PauseRolloutInput!) {
    pauseRollout(input: $input) {
      __typename
      ... on PauseRolloutPayload {
        rollout {
          ...RolloutPage
        }
      }
      ...MutationError
    }
  }
`);

export const ResumeRolloutMutation = graphql(`
  mutation ResumeRollout($input: ResumeRolloutInput!) {
    resumeRollout(input: $input) {
      __typename
      ... on ResumeRolloutPayload {
        rollout {
          ...RolloutPage
        }
      }
      ...MutationError
    }
  }
`);

export const PromoteRolloutMutation = graphql(`
  mutation PromoteRollout($input: PromoteRolloutInput!) {
    promoteRollout(input: $input) {
      __typename
      ... on PromoteRolloutPayload {
        rollout {
          ...RolloutPage
        }
      }
      ...MutationError
    }
  }
`);

export const AbortRolloutMutation = graphql(`
  mutation AbortRollout($input: AbortRolloutInput!) {
    abortRollout(input: $input) {
      __typename
      ... on AbortRolloutPayload {
        rollout {
          ...RolloutPage
        }
      }
      ...MutationError
    }
  }
`);

export const RetryRolloutAgentsMutation = graphql(`
  mutation RetryRolloutAgents($input: RetryRolloutAgentsInput!) {
    retryRolloutAgents(input: $input) {
      __typename
      ... on RetryRolloutAgentsPayload {
        rollout {
          ...RolloutPage
        }
      }
      ...MutationError
    }
  }
`);
