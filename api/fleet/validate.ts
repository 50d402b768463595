/**
 * zod at the fleet boundary: every fleet entry point parses its input with `parseInput`, so REST,
 * GraphQL and the CLI get the same `validation_failed` error naming the field, before any write.
 */
import type { z } from 'zod';
import { validationError } from './errors.ts';

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
