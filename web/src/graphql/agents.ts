/** Agents: the filtered list and its live updates, one agent in detail, and agent mutations. */
import { graphql } from '../../../codegen/gql/index.ts';

export const AgentsQuery = graphql(`
  query Agents($filter: AgentFilter, $orderBy: AgentOrder, $first: Int!, $after: String) {
    agents(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          ...AgentListRow
        }
      }
    }
  }
`);

export const AgentListRowFragment = graphql(`
  fragment AgentListRow on Agent {
    id
    updatedAt
    hostname
    status
    configStatus
    agentVersion
    vectorVersion
    platform
    revoked
    group {
      id
    }
    labels {
      key
      value
    }
    ...AgentTable_agent
  }
`);

export const AgentListUpdatedSubscription = graphql(`
  subscription AgentListUpdated($groupId: ID) {
    agentUpdated(groupId: $groupId) {
      membershipChanged
      agents {
        ...AgentListRow
      }
    }
  }
`);

export const AgentFilterOptionsQuery = graphql(`
  query AgentFilterOptions($first: Int!) {
    groups(first: $first) {
      edges {
        node {
          id
          name
          slug
        }
      }
    }
    agentReleases {
      version
      createdAt
    }
  }
`);

export const AgentPageFragment = graphql(`
  fragment AgentPage on Agent {
    id
    updatedAt
    hostname
    revoked
    appliedConfigVersion
    desiredConfigVersion
    configDriftedAt
    configError {
      version
      message
    }
    group {
      id
      name
      slug
    }
    labels {
      key
      value
    }
    ...AgentDetails_agent
    ...ConfigStatusBadge_agent
    ...ConfigErrorNotice_agent
  }
`);

export const AgentQuery = graphql(`
  query Agent($id: ID!) {
    agent(id: $id) {
      ...AgentPage
    }
  }
`);

export const AgentUpdatedSubscription = graphql(`
  subscription AgentUpdated($agentId: ID!) {
    agentUpdated(agentId: $agentId) {
      agents {
        ...AgentPage
      }
    }
  }
`);

export const MoveAgentsMutation = graphql(`
  mutation MoveAgents($input: MoveAgentsInput!) {
    moveAgents(input: $input) {
      __typename
      ... on MoveAgentsPayload {
        count
      }
      ...MutationError
    }
  }
`);

export const RevokeAgentsMutation = graphql(`
  mutation RevokeAgents($input: RevokeAgentsInput!) {
    revokeAgents(input: $input) {
      __typename
      ... on RevokeAgentsPayload {
        count
      }
      ...MutationError
    }
  }
`);

export const RotateAgentTokensMutation = graphql(`
  mutation RotateAgentTokens($input: RotateAgentTokensInput!) {
    rotateAgentTokens(input: $input) {
      __typename
      ... on RotateAgentTokensPayload {
        count
      }
      ...MutationError
    }
  }
`);

export const SetAgentLabelsMutation = graphql(`
  mutation SetAgentLabels($input: SetAgentLabelsInput!) {
    setAgentLabels(input: $input) {
      __typename
      ... on SetAgentLabelsPayload {
        agent {
          id
          labels {
            key
            value
          }
        }
      }
      ...MutationError
    }
  }
`);

export const AgentQueryAssistQuery = graphql(`
  query AgentQueryAssist($query: String!, $cursor: Int!) {
    agentQueryAssist(query: $query, cursor: $cursor) {
      error {
        message
        position
        length
      }
      suggestions {
        label
        insertText
        detail
        replaceFrom
        replaceTo
      }
    }
  }
`);

export const AgentFailuresQuery = graphql(`
  query AgentFailures($groupId: ID) {
    agentFailures(groupId: $groupId) {
      message
      count
      firstSeenAt
      lastSeenAt
      query
      groups {
        id
        name
        slug
      }
    }
  }
`);
