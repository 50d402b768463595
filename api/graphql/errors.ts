/**
 * Expected failures as typed results (errors plugin). Every error type implements the `Error`
 * interface: a `code` (the fleet's codes, as REST answers them), a message, and the input fields
 * at fault (paths relative to the mutation's `input`). Resolvers run fleet calls through runFleet,
 * which turns a FleetError into the error class for its code; anything else stays unexpected and
 * is masked by Yoga.
 */
import { GraphQLError } from 'graphql';
import { FleetError, FleetErrorCode, type FieldIssue } from '../fleet/errors.ts';
import { builder } from './builder.ts';

const ERROR_CODES = [...Object.values(FleetErrorCode), 'too_many_attempts'] as const;
export type ErrorCodeValue = (typeof ERROR_CODES)[number];

export const ErrorCode = builder.enumType('ErrorCode', {
  description: 'What went wrong, for clients to branch on (never on the message).',
  values: ERROR_CODES,
});

/** Base of every typed error result. */
export abstract class TypedError extends Error {
  constructor(
    readonly code: ErrorCodeValue,
    message: string,
    readonly fields: FieldIssue[] = [],
  ) {
    super(message);
  }
}

export class ValidationError extends TypedError {}
export class ConflictError extends TypedError {}
export class NotFoundError extends TypedError {}
export class ConfigInvalidError extends TypedError {}
export class GroupNotEmptyError extends TypedError {}
export class InvalidTransitionError extends TypedError {}
export class InvalidCredentialsError extends TypedError {}
export class ComponentPolicyError extends TypedError {}
export class SecretKeyMissingError extends TypedError {}
export class DraftConflictError extends TypedError {}
export class NothingToPublishError extends TypedError {}
export class TooManyAttemptsError extends TypedError {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many_attempts', `too many failed sign-ins: try again in ${retryAfterSeconds} s`);
  }
}

const FieldIssueRef = builder.objectRef<FieldIssue>('FieldIssue').implement({
  description:
    'One problem with one input field; `path` is dotted and relative to `input` (e.g. `options.mode`).',
  fields: (t) => ({ path: t.exposeString('path'), message: t.exposeString('message') }),
});

const ErrorInterface = builder.interfaceRef<TypedError>('Error').implement({
  description: 'An expected failure. Query `code` and `fields`; `message` is for people.',
  fields: (t) => ({
    code: t.field({ type: ErrorCode, resolve: (e) => e.code }),
    message: t.exposeString('message'),
    fields: t.field({ type: [FieldIssueRef], resolve: (e) => e.fields }),
  }),
});

function errorType(cls: typeof ValidationError, name: string, description: string): void {
  builder.objectType(cls, { name, description, interfaces: [ErrorInterface], fields: () => ({}) });
}

errorType(ValidationError, 'ValidationError', 'The input is invalid; `fields` names each bad field.');
errorType(
  ConflictError,
  'ConflictError',
  'The change clashes with existing data (a taken slug, name or email).',
);
errorType(NotFoundError, 'NotFoundError', 'Something the input refers to does not exist; `code` says what.');
errorType(
  ConfigInvalidError,
  'ConfigInvalidError',
  'The resulting Vector config would not pass `vector validate`.',
);
errorType(GroupNotEmptyError, 'GroupNotEmptyError', 'The group still has agents: move or revoke them first.');
errorType(
  InvalidTransitionError,
  'InvalidTransitionError',
  'The action is no longer in a state that allows this.',
);
errorType(
  InvalidCredentialsError,
  'InvalidCredentialsError',
  'Wrong email or password (or the user is disabled).',
);
errorType(
  ComponentPolicyError,
  'ComponentPolicyError',
  'The group’s component policy refuses this (code component_not_allowed or path_not_allowed); `fields` names the type or option. An admin can change the policy.',
);
errorType(
  DraftConflictError,
  'DraftConflictError',
  'The draft changed since the revision you edited; the message names who changed it. Reload the draft and edit again.',
);
errorType(
  NothingToPublishError,
  'NothingToPublishError',
  'The content equals the published version, so no version was created (discard the draft instead).',
);
errorType(
  SecretKeyMissingError,
  'SecretKeyMissingError',
  'The server has no FLOTILLA_SECRET_KEY, so secrets can be neither stored nor read.',
);
builder.objectType(TooManyAttemptsError, {
  name: 'TooManyAttemptsError',
  description: 'Too many failed sign-ins for this email or address: wait `retryAfterSeconds`.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});

const NOT_FOUND_CODES: ReadonlySet<string> = new Set(
  Object.values(FleetErrorCode).filter((code) => code.endsWith('_not_found')),
);

/** The typed error for a FleetError, or null for codes GraphQL callers cannot cause. */
function typedError(error: FleetError): TypedError | null {
  const args = [error.code, error.message, error.issues] as const;
  if (NOT_FOUND_CODES.has(error.code)) return new NotFoundError(...args);
  switch (error.code) {
    case FleetErrorCode.validationFailed:
    case FleetErrorCode.tooManyAgents:
    case FleetErrorCode.secretRequired:
      return new ValidationError(...args);
    case FleetErrorCode.conflict:
    case FleetErrorCode.secretInUse:
      return new ConflictError(...args);
    case FleetErrorCode.componentNotAllowed:
    case FleetErrorCode.pathNotAllowed:
      return new ComponentPolicyError(...args);
    case FleetErrorCode.secretKeyMissing:
      return new SecretKeyMissingError(...args);
    case FleetErrorCode.configInvalid:
      return new ConfigInvalidError(...args);
    case FleetErrorCode.groupNotEmpty:
      return new GroupNotEmptyError(...args);
    case FleetErrorCode.invalidTransition:
      return new InvalidTransitionError(...args);
    case FleetErrorCode.invalidCredentials:
      return new InvalidCredentialsError(...args);
    case FleetErrorCode.draftConflict:
      return new DraftConflictError(...args);
    case FleetErrorCode.nothingToPublish:
      return new NothingToPublishError(...args);
    default:
      return null;
  }
}

/**
 * Run a fleet call from a resolver. A FleetError is rethrown as its typed error (the errors
 * plugin turns it into a result when the field lists that type); other errors pass unchanged.
 */
export async function runFleet<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw (error instanceof FleetError && typedError(error)) || error;
  }
}

/** Error types of mutations that create or change groups (a rename publishes after the checks). */
export const PIPELINE_ERRORS = [
  ValidationError,
  ConflictError,
  NotFoundError,
  ConfigInvalidError,
  ComponentPolicyError,
];
/** Error types of draft edits: a bad or unstorable change, a missing component, a stale revision. */
export const DRAFT_ERRORS = [ValidationError, NotFoundError, DraftConflictError];
/** Error types of mutations that publish a pipeline version (adds the checks and the component policy). */
export const PUBLISH_ERRORS = [
  ...DRAFT_ERRORS,
  ConfigInvalidError,
  ComponentPolicyError,
  NothingToPublishError,
];
/** Error types of mutations that only validate input and look things up. */
export const INPUT_ERRORS = [ValidationError, NotFoundError];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` has the shape of the UUIDs every entity id has. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/**
 * Check the ids a query argument filters by (`argument` names it in the error); throws a
 * BAD_USER_INPUT GraphQLError for anything that is not a UUID.
 */
export function assertUuids(ids: readonly string[] | null | undefined, argument: string): void {
  const bad = (ids ?? []).find((id) => !isUuid(id));
  if (bad !== undefined) {
    throw new GraphQLError(`${argument}: "${bad}" is not an id`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}
