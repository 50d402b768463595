/** Actions: queueing (one agent or in bulk), cancelling, lists, bulk progress and live updates. */
import { graphql } from '../../../codegen/gql/index.ts';

export const CreateBulkActionMutation = graphql(`
  mutation CreateBulkAction($input: CreateBulkActionInput!) {
    createBulkAction(input: $input) {
      __typename
      ... on CreateBulkActionPayload {
        bulkId
        count
      }
      ...MutationError
    }
  }
`);

export const CancelActionMutation = graphql(`
  mutation CancelAction($input: CancelActionInput!) {
    cancelAction(input: $input) {
      __typename
      ... on CancelActionPayload {
        action {
          id
          status
          updatedAt
        }
      }
      ...MutationError
    }
  }
`);

export const ActionsQuery = graphql(`
  query Actions($filter: ActionFilter, $first: Int!, $after: String) {
    actions(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          updatedAt
          status
          bulkId
          type
          payload
          result
          createdAt
          createdBy
          agent {
            id
            hostname
          }
          ...ActionTable_action
        }
      }
    }
  }
`);

export const ActionsUpdatedSubscription = graphql(`
  subscription ActionsUpdated($agentId: ID, $bulkId: ID) {
    actionUpdated(agentId: $agentId, bulkId: $bulkId) {
      membershipChanged
      actions {
        id
        updatedAt
        status
        bulkId
        type
        payload
        result
        createdAt
        createdBy
        agent {
          id
          hostname
        }
        ...ActionTable_action
      }
    }
  }
`);

export const BulkProgressQuery = graphql(`
  query BulkProgress($bulkId: ID!) {
    all: actions(filter: { bulkId: $bulkId }, first: 1) {
      totalCount
      edges {
        node {
          id
          type
          payload
          createdAt
          createdBy
        }
      }
    }
    pending: actions(filter: { bulkId: $bulkId, statuses: [pending] }, first: 0) {
      totalCount
    }
    waiting: actions(filter: { bulkId: $bulkId, statuses: [waiting] }, first: 0) {
      totalCount
    }
    delivered: actions(filter: { bulkId: $bulkId, statuses: [delivered] }, first: 0) {
      totalCount
    }
    skipped: actions(filter: { bulkId: $bulkId, statuses: [skipped] }, first: 0) {
      totalCount
    }
    running: actions(filter: { bulkId: $bulkId, statuses: [running] }, first: 0) {
      totalCount
    }
    done: actions(filter: { bulkId: $bulkId, statuses: [done] }, first: 0) {
      totalCount
    }
    failed: actions(filter: { bulkId: $bulkId, statuses: [failed] }, first: 0) {
      totalCount
    }
    expired: actions(filter: { bulkId: $bulkId, statuses: [expired] }, first: 0) {
      totalCount
    }
    cancelled: actions(filter: { bulkId: $bulkId, statuses: [cancelled] }, first: 0) {
      totalCount
    }
  }
`);

export const BulkProgressUpdatedSubscription = graphql(`
  subscription BulkProgressUpdated($bulkId: ID!) {
    actionUpdated(bulkId: $bulkId) {
      membershipChanged
      actions {
        id
        status
      }
    }
  }
`);

export const CancelBulkActionMutation = graphql(`
  mutation CancelBulkAction($input: CancelBulkActionInput!) {
    cancelBulkAction(input: $input) {
      __typename
      ... on CancelBulkActionPayload {
        cancelled
      }
      ...MutationError
    }
  }
`);

export const ValidateDraftMutation = graphql(`
  mutation ValidateDraft($input: ValidateDraftInput!) {
    validateDraft(input: $input) {
      __typename
      ... on ValidateDraftPayload {
        bulkId
      }
      ...MutationError
    }
  }
`);

export const CreateActionMutation = graphql(`
  mutation CreateAction($input: CreateActionInput!) {
    createAction(input: $input) {
      __typename
      ... on CreateActionPayload {
        action {
          id
          status
        }
      }
      ...MutationError
    }
  }
`);

export const AgentDiagnosticsQuery = graphql(`
  query AgentDiagnostics($agentId: ID!) {
    agentDiagnostics(agentId: $agentId) {
      id
      actionId
      sizeBytes
      createdAt
    }
  }
`);

export const DiagnosticsContentQuery = graphql(`
  query DiagnosticsContent($id: ID!) {
    diagnosticsContent(id: $id)
  }
`);
