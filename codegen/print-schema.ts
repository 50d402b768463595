/**
 * Writes codegen/schema.graphql: the sorted SDL of the Pothos schema, the committed GraphQL
 * contract (`npm run schema:print`). test/graphql/schema.test.ts fails when the file is stale.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../api/graphql/schema/index.ts';

export const SCHEMA_FILE = path.resolve(import.meta.dirname, 'schema.graphql');

/** The schema as committed: printed, sorted, with a trailing newline. Never fails. */
export function printedSchema(): string {
  return `${printSchema(schema)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await fs.writeFile(SCHEMA_FILE, printedSchema());
  console.warn(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
