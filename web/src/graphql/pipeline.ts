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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
    }
  }
`);

export const DeleteGroupMutation = graphql(`
  mutation DeleteGroup($input: DeleteGroupInput!) {
    deleteGroup(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
    }
  }
`);

export const DeleteInputMutation = graphql(`
  mutation DeleteInput($input: DeleteInputInput!) {
    deleteInput(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
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
      ... on Error {
        code
        message
        fields {
          path
          message
        }
      }
    }
  }
`);

export const DeleteOutputMutation = graphql(`
  mutation DeleteOutput($input: DeleteOutputInput!) {
    deleteOutput(input: $input) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`);
