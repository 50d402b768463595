/** Enrolment (bootstrap) tokens: list, mint (secret shown once), revoke; and API tokens. */
import { graphql } from '../../../codegen/gql/index.ts';

export const EnrolmentTokensQuery = graphql(`
  query EnrolmentTokens($activeOnly: Boolean, $groupId: ID, $first: Int!) {
    enrolmentTokens(first: $first, activeOnly: $activeOnly, groupId: $groupId) {
      edges {
        node {
          id
          ...EnrolmentTokenTable_token
        }
      }
    }
  }
`);

export const EnrolmentsSubscription = graphql(`
  subscription Enrolments {
    agentUpdated {
      membershipChanged
    }
  }
`);

export const MintEnrolmentTokenMutation = graphql(`
  mutation MintEnrolmentToken($input: MintEnrolmentTokenInput!) {
    mintEnrolmentToken(input: $input) {
      __typename
      ... on MintEnrolmentTokenPayload {
        token
        enrolmentToken {
          id
          prefix
          maxUses
          expiresAt
          group {
            name
            slug
          }
        }
      }
      ...MutationError
    }
  }
`);

export const RevokeEnrolmentTokenMutation = graphql(`
  mutation RevokeEnrolmentToken($input: RevokeEnrolmentTokenInput!) {
    revokeEnrolmentToken(input: $input) {
      __typename
      ...MutationError
    }
  }
`);

export const TokenFormOptionsQuery = graphql(`
  query TokenFormOptions($first: Int!) {
    groups(first: $first) {
      edges {
        node {
          id
          name
        }
      }
    }
    agentReleases {
      version
    }
  }
`);

export const ApiTokensQuery = graphql(`
  query ApiTokens($first: Int!) {
    apiTokens(first: $first) {
      edges {
        node {
          id
          ...ApiTokenTable_token
        }
      }
    }
  }
`);

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenPayload {
        token
        apiToken {
          id
          name
          role
        }
      }
      ...MutationError
    }
  }
`);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($input: RevokeApiTokenInput!) {
    revokeApiToken(input: $input) {
      __typename
      ...MutationError
    }
  }
`);

export const FirstAgentFragment = graphql(`
  fragment FirstAgent on Agent {
    id
    hostname
    appliedConfigVersion
    desiredConfigVersion
    configStatus
    configError {
      version
    }
  }
`);

export const EnrolmentTokenUsedSubscription = graphql(`
  subscription EnrolmentTokenUsed($tokenId: ID!) {
    enrolmentTokenUsed(tokenId: $tokenId) {
      ...FirstAgent
    }
  }
`);

export const FirstAgentUpdatedSubscription = graphql(`
  subscription FirstAgentUpdated($agentId: ID!) {
    agentUpdated(agentId: $agentId) {
      agents {
        ...FirstAgent
      }
    }
  }
`);
