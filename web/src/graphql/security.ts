/** Host safety: a group's component policy, and secrets (names only; values are write-only). */
import { graphql } from '../../../codegen/gql/index.ts';

export const GroupPolicyQuery = graphql(`
  query GroupPolicy($slug: String!) {
    group(slug: $slug) {
      id
      componentPolicy {
        guardedComponents {
          key
          kind
          type
          reason
          allowed
        }
        readPathPrefixes
        writePathPrefixes
        alwaysDeniedPrefixes
        defaultReadDeniedPrefixes
        defaultWriteDeniedPrefixes
      }
    }
  }
`);

export const SetGroupComponentPolicyMutation = graphql(`
  mutation SetGroupComponentPolicy($input: SetGroupComponentPolicyInput!) {
    setGroupComponentPolicy(input: $input) {
      __typename
      ... on SetGroupComponentPolicyPayload {
        group {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const SecretRowFragment = graphql(`
  fragment SecretRow on Secret {
    id
    name
    reference
    scope
    updatedBy
    updatedAt
  }
`);

export const GroupSecretsQuery = graphql(`
  query GroupSecrets($slug: String!) {
    group(slug: $slug) {
      id
      secrets {
        ...SecretRow
      }
    }
  }
`);

export const FleetSecretsQuery = graphql(`
  query FleetSecrets {
    fleetSecrets {
      ...SecretRow
    }
  }
`);

export const CreateSecretMutation = graphql(`
  mutation CreateSecret($input: CreateSecretInput!) {
    createSecret(input: $input) {
      __typename
      ... on CreateSecretPayload {
        secret {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateSecretMutation = graphql(`
  mutation UpdateSecret($input: UpdateSecretInput!) {
    updateSecret(input: $input) {
      __typename
      ... on UpdateSecretPayload {
        secret {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteSecretMutation = graphql(`
  mutation DeleteSecret($input: DeleteSecretInput!) {
    deleteSecret(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);
