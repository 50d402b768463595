/** Alerts: open alerts, rules, silences, channels, counts for the navigation badge, and alertUpdated. */
import { graphql } from '../../../codegen/gql/index.ts';

export const AlertsPageQuery = graphql(`
  query AlertsPage($first: Int!) {
    alerts(first: $first) {
      id
      state
      summary
      value
      startedAt
      firedAt
      notifiedAt
      agent {
        id
        hostname
      }
      rule {
        id
        name
        kind
      }
      deliveries {
        id
        event
        state
        attempts
        lastStatus
        lastError
        channel {
          name
        }
      }
    }
    alertRules {
      id
      name
      kind
      threshold
      forSeconds
      enabled
      selector
      group {
        id
        name
      }
      channels {
        id
        name
      }
    }
    alertSilences {
      id
      comment
      expiresAt
      agentId
      createdBy
      rule {
        name
      }
    }
    notificationChannels {
      id
      name
      type
      urlHint
    }
    alertKinds {
      kind
      description
      thresholdUnit
      thresholdMin
      thresholdMax
    }
  }
`);

export const AlertCountsQuery = graphql(`
  query AlertCounts {
    alertCounts {
      pending
      firing
    }
  }
`);

export const AlertUpdatedSubscription = graphql(`
  subscription AlertUpdated {
    alertUpdated {
      membershipChanged
    }
  }
`);

export const CreateAlertRuleMutation = graphql(`
  mutation CreateAlertRule($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      __typename
      ... on CreateAlertRulePayload {
        rule {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const UpdateAlertRuleMutation = graphql(`
  mutation UpdateAlertRule($input: UpdateAlertRuleInput!) {
    updateAlertRule(input: $input) {
      __typename
      ... on UpdateAlertRulePayload {
        rule {
          id
          enabled
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteAlertRuleMutation = graphql(`
  mutation DeleteAlertRule($input: DeleteAlertRuleInput!) {
    deleteAlertRule(input: $input) {
      __typename
      ... on DeleteAlertRulePayload {
        deletedRuleId
      }
      ...MutationError
    }
  }
`);

export const CreateAlertSilenceMutation = graphql(`
  mutation CreateAlertSilence($input: CreateAlertSilenceInput!) {
    createAlertSilence(input: $input) {
      __typename
      ... on CreateAlertSilencePayload {
        silence {
          id
        }
      }
      ...MutationError
    }
  }
`);

export const DeleteAlertSilenceMutation = graphql(`
  mutation DeleteAlertSilence($input: DeleteAlertSilenceInput!) {
    deleteAlertSilence(input: $input) {
      __typename
      ... on DeleteAlertSilencePayload {
        deletedSilenceId
      }
      ...MutationError
    }
  }
`);

export const CreateNotificationChannelMutation = graphql(`
  mutation CreateNotificationChannel($input: CreateNotificationChannelInput!) {
    createNotificationChannel(input: $input) {
      __typename
      ... on CreateNotificationChannelPayload {
        signingSecret
        channel {
          id
        }
      }
      ...MutationError
    }
  }
`);
