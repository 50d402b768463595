/** Who is signed in: the viewer query and the sign-in / sign-out mutations. */
import { graphql } from '../../../codegen/gql/index.ts';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      role
      authMethod
      user {
        id
        email
      }
    }
  }
`);

export const SetupRequiredQuery = graphql(`
  query SetupRequired {
    setupRequired
  }
`);

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on LoginPayload {
        viewer {
          role
          authMethod
          user {
            id
            email
          }
        }
      }
      ... on TooManyAttemptsError {
        retryAfterSeconds
      }
      ...MutationError
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout($input: LogoutInput!) {
    logout(input: $input) {
      __typename
      ...MutationError
    }
  }
`);
