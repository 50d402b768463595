/** A group's draft pipeline: its document, problems, diff against the published version, and the edits. */
import { graphql } from '../../../codegen/gql/index.ts';

export const PipelineComponentFieldsFragment = graphql(`
  fragment PipelineComponentFields on PipelineComponent {
    id
    kind
    type
    options
    inputs
    enabled
    platforms
  }
`);

export const PipelineProblemFieldsFragment = graphql(`
  fragment PipelineProblemFields on PipelineProblem {
    severity
    rule
    component
    field
    message
  }
`);

export const PipelineDiffFieldsFragment = graphql(`
  fragment PipelineDiffFields on PipelineDiff {
    changed
    components {
      id
      kind
      type
      change
      fields
    }
    platforms {
      platform
      unified
      changed
    }
  }
`);

export const DraftFieldsFragment = graphql(`
  fragment DraftFields on PipelineDraft {
    revision
    baseVersion
    changed
    updatedBy
    updatedAt
    components {
      ...PipelineComponentFields
    }
    problems {
      ...PipelineProblemFields
    }
  }
`);

export const GroupPipelineQuery = graphql(`
  query GroupPipeline($slug: String!) {
    group(slug: $slug) {
      id
      configVersion
      draftRevision
      draft {
        ...DraftFields
      }
      publishedVersion {
        version
        components {
          ...PipelineComponentFields
        }
      }
    }
  }
`);

export const DraftDiffQuery = graphql(`
  query DraftDiff($slug: String!) {
    group(slug: $slug) {
      id
      configVersion
      draft {
        revision
        diff {
          ...PipelineDiffFields
        }
      }
    }
  }
`);

export const UpdateDraftMutation = graphql(`
  mutation UpdateDraft($input: UpdateDraftInput!) {
    updateDraft(input: $input) {
      __typename
      ... on UpdateDraftPayload {
        draft {
          ...DraftFields
        }
      }
      ...MutationError
    }
  }
`);

export const PublishDraftMutation = graphql(`
  mutation PublishDraft($input: PublishDraftInput!) {
    publishDraft(input: $input) {
      __typename
      ... on PublishDraftPayload {
        version {
          id
          version
          rollout {
            id
            active
          }
        }
      }
      ...MutationError
    }
  }
`);

export const DiscardDraftMutation = graphql(`
  mutation DiscardDraft($input: DiscardDraftInput!) {
    discardDraft(input: $input) {
      __typename
      ... on DiscardDraftPayload {
        revision
      }
      ...MutationError
    }
  }
`);
