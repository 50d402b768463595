/**
 * Turn what went wrong into words for people. Branches on codes (GraphQL `extensions.code`, the
 * Error interface's `code`) and the kind of failure, never on server message text; the server's
 * message is shown as it is when there is nothing better to say.
 */

interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

interface CombinedErrorLike {
  networkError?: Error;
  graphQLErrors: GraphQLErrorLike[];
}

const isCombined = (error: unknown): error is CombinedErrorLike =>
  typeof error === 'object' && error !== null && Array.isArray((error as CombinedErrorLike).graphQLErrors);

/** The GraphQL error code (`UNAUTHENTICATED`, `FORBIDDEN` …) of a failed request, or null. */
function errorCode(error: unknown): string | null {
  if (!isCombined(error)) return null;
  const code = error.graphQLErrors.find((e) => typeof e.extensions?.code === 'string')?.extensions?.code;
  return typeof code === 'string' ? code : null;
}

/** One sentence describing a failed request (urql CombinedError, Error or anything else). */
export function describeError(error: unknown): string {
  if (isCombined(error)) {
    if (error.networkError) return 'Cannot reach the Flotilla server. Check your connection and try again.';
    const code = errorCode(error);
    if (code === 'UNAUTHENTICATED') return 'Your session has ended. Sign in again.';
    if (code === 'FORBIDDEN')
      return `Your role does not allow this. ${error.graphQLErrors[0]?.message ?? ''}`.trim();
    const first = error.graphQLErrors[0]?.message;
    if (first && first !== 'Unexpected error.') return first;
    return 'The server could not complete the request. Try again; if it keeps failing, check the server log.';
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
