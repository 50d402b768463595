/** Group mutations and a group's pipeline parts (inputs = Vector sources, outputs = sinks). */
import { graphql } from '../../../codegen/gql/index.ts';

export const CreateGroupMutation = graphql(`
  mutation CreateGroup($input: CreateGroupInput!) {
    createGroup(input: $input) {
      __typename
      ... on CreateGroupPayload {
        group {
          id
          slug
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateGroupMutation = graphql(`
  mutation UpdateGroup($input: UpdateGroupInput!) {
    updateGroup(input: $input) {
      __typename
      ... on UpdateGroupPayload {
        group {
          id
          name
          description
          configVersion
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteGroupMutation = graphql(`
  mutation DeleteGroup($input: DeleteGroupInput!) {
    deleteGroup(input: $input) {
      __typename
      ...MutationError
    }
  }
`);

export const CreateInputMutation = graphql(`
  mutation CreateInput($input: CreateInputInput!) {
    createInput(input: $input) {
      __typename
      ... on CreateInputPayload {
        input {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateInputMutation = graphql(`
  mutation UpdateInput($input: UpdateInputInput!) {
    updateInput(input: $input) {
      __typename
      ... on UpdateInputPayload {
        input {
          id
          enabled
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteInputMutation = graphql(`
  mutation DeleteInput($input: DeleteInputInput!) {
    deleteInput(input: $input) {
      __typename
      ...MutationError
    }
  }
`);

export const CreateOutputMutation = graphql(`
  mutation CreateOutput($input: CreateOutputInput!) {
    createOutput(input: $input) {
      __typename
      ... on CreateOutputPayload {
        output {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateOutputMutation = graphql(`
  mutation UpdateOutput($input: UpdateOutputInput!) {
    updateOutput(input: $input) {
      __typename
      ... on UpdateOutputPayload {
        output {
          id
          enabled
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteOutputMutation = graphql(`
  mutation DeleteOutput($input: DeleteOutputInput!) {
    deleteOutput(input: $input) {
      __typename
      ...MutationError
    }
  }
`);
