/** Administration: users and roles, and the audit log. */
import { graphql } from '../../../codegen/gql/index.ts';

export const UsersQuery = graphql(`
  query Users($first: Int!) {
    users(first: $first) {
      totalCount
      edges {
        node {
          id
          email
          ...UserTable_user
        }
      }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      __typename
      ... on CreateUserPayload {
        user {
          id
          email
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateUser($input: UpdateUserInput!) {
    updateUser(input: $input) {
      __typename
      ... on UpdateUserPayload {
        user {
          id
          role
          disabled
        }
      }
      ...MutationError
    }
  }
`);

export const ResetUserPasswordMutation = graphql(`
  mutation ResetUserPassword($input: ResetUserPasswordInput!) {
    resetUserPassword(input: $input) {
      __typename
      ...MutationError
    }
  }
`);

export const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          ...AuditLog_event
        }
      }
    }
  }
`);

export const AuditExportQuery = graphql(`
  query AuditExport($filter: AuditEventFilter, $format: AuditExportFormat!) {
    auditExport(filter: $filter, format: $format)
  }
`);
