/**
 * zod at the fleet boundary: every fleet entry point parses its input with `parseInput`, so REST,
 * GraphQL and the CLI get the same `validation_failed` error naming the field, before any write.
 */
import { z } from 'zod';
import { UNSTORABLE_MESSAGE, isStorableText, jsonBlobProblem } from '../protocol/storable.ts';
import { validationError } from './errors.ts';

/**
 * A string the database can store (no NUL character, no unpaired surrogate): every free-text
 * field of a fleet input starts here, then adds its own trim and length bounds.
 */
export function storableText() {
  return z.string().refine(isStorableText, UNSTORABLE_MESSAGE);
}

/**
 * A JSON object of component options the database can store: nested at most MAX_JSON_DEPTH
 * levels, storable keys and strings (see jsonBlobProblem; its size is left to the body limits).
 */
export function storableOptions() {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const problem = jsonBlobProblem(value, { maxBytes: null });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Parse `value` with `schema`; throws FleetError(validation_failed) listing every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(input)',
      message: issue.message,
    })),
  );
}
