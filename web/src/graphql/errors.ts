/** The selection every mutation document makes on its typed errors (the `Error` interface). */
import { graphql } from '../../../codegen/gql/index.ts';

export const MutationErrorFragment = graphql(`
  fragment MutationError on Error {
    code
    message
    fields {
      path
      message
    }
  }
`);
