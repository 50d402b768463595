/** Groups: list, one group with its pipeline, config previews, the catalogue, and mutations. */
import { graphql } from '../../../codegen/gql/index.ts';

export const GroupsQuery = graphql(`
  query Groups($search: String, $first: Int!) {
    groups(first: $first, search: $search) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          updatedAt
          ...GroupTable_group
        }
      }
    }
  }
`);

export const GroupsUpdatedSubscription = graphql(`
  subscription GroupsUpdated {
    groupUpdated {
      membershipChanged
      deletedGroupIds
      groups {
        id
        updatedAt
        ...GroupTable_group
      }
    }
  }
`);

export const GroupPageFragment = graphql(`
  fragment GroupPage on Group {
    id
    updatedAt
    slug
    name
    description
    selfHeal
    configVersion
    agentCount
    draftRevision
  }
`);

export const GroupQuery = graphql(`
  query Group($slug: String!) {
    group(slug: $slug) {
      ...GroupPage
    }
  }
`);

export const GroupUpdatedSubscription = graphql(`
  subscription GroupUpdated {
    groupUpdated {
      deletedGroupIds
      groups {
        ...GroupPage
      }
    }
  }
`);

export const GroupRolloutQuery = graphql(`
  query GroupRollout($groupId: ID!) {
    fleetSummary(groupId: $groupId) {
      agents
      online
      offline
      neverSeen
      upToDate
      updating
      behind
      failed
    }
  }
`);

export const GroupRolloutUpdatedSubscription = graphql(`
  subscription GroupRolloutUpdated($groupId: ID!) {
    fleetSummaryUpdated(groupId: $groupId) {
      agents
      online
      offline
      neverSeen
      upToDate
      updating
      behind
      failed
    }
  }
`);

export const ConfigPreviewQuery = graphql(`
  query ConfigPreview($slug: String!, $platform: Platform!) {
    group(slug: $slug) {
      id
      configPreview(platform: $platform) {
        yaml
        version
        etag
        createdAt
      }
    }
  }
`);

export const VectorComponentsQuery = graphql(`
  query VectorComponents($kind: ComponentKind!) {
    vectorComponents(kind: $kind) {
      type
      platforms
      required
      conditionallyRequired {
        name
        when {
          anyOf {
            field
            operator
            value
          }
        }
      }
      requiredWhenParentPresent {
        name
        when {
          anyOf {
            field
            operator
            value
          }
        }
        whenPresent
      }
      requiredOneOf {
        options
      }
      serverManagedOptions
      options {
        name
        types
        required
        enum
        itemEnum
        items
        default
        example
        note
        relevantWhen {
          anyOf {
            field
            operator
            value
          }
        }
        requiredWhen {
          anyOf {
            field
            operator
            value
          }
        }
      }
    }
  }
`);

export const GroupRolloutsQuery = graphql(`
  query GroupRollouts {
    fleetSummary {
      groups {
        groupId
        agents
        upToDate
        failed
      }
    }
  }
`);

export const GroupRolloutsUpdatedSubscription = graphql(`
  subscription GroupRolloutsUpdated {
    fleetSummaryUpdated {
      groups {
        groupId
        agents
        upToDate
        failed
      }
    }
  }
`);

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
