/** A group's published pipeline versions: history, one version's document and YAML, diffs, rollback. */
import { graphql } from '../../../codegen/gql/index.ts';

export const PipelineHistoryQuery = graphql(`
  query PipelineHistory($slug: String!) {
    group(slug: $slug) {
      id
      name
      slug
      configVersion
      pipelineVersions {
        id
        version
        message
        author
        createdAt
        rollbackOf
        agentCount
      }
    }
  }
`);

export const PipelineVersionQuery = graphql(`
  query PipelineVersion($slug: String!, $version: Int!) {
    group(slug: $slug) {
      id
      pipelineVersion(version: $version) {
        id
        version
        yaml
        linux: preview(platform: linux)
        kubernetes: preview(platform: kubernetes)
      }
    }
  }
`);

export const PipelineVersionDiffQuery = graphql(`
  query PipelineVersionDiff($slug: String!, $from: Int!, $to: Int!) {
    group(slug: $slug) {
      id
      pipelineDiff(from: $from, to: $to) {
        ...PipelineDiffFields
      }
    }
  }
`);

export const RollbackToVersionMutation = graphql(`
  mutation RollbackToVersion($input: RollbackToVersionInput!) {
    rollbackToVersion(input: $input) {
      __typename
      ... on RollbackToVersionPayload {
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
