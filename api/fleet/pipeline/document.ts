/**
 * A group's pipeline document: the Vector components (sources, transforms, sinks) wired by
 * `inputs` exactly as Vector wires them. Drafts and published versions store this document; the
 * YAML agents get is rendered from it per platform (vector/render.ts).
 *
 * This module holds what can be *stored*: shape, id rule, limits, storable text, unique ids. Whether
 * the graph would run (unknown inputs, cycles, options, types) is the checks' business
 * (pipeline/problems.ts): a draft may hold problems, a published version may not.
 */
import { z } from 'zod';
import { Platform } from '../../protocol/v1.ts';
import { COMPONENT_KINDS, type ComponentKind } from '../vector/catalogue-types.ts';
import { defaultPlatforms } from '../vector/components.ts';
import { parseInput, storableOptions, storableText } from '../validate.ts';

/** Most components one pipeline document may hold. */
export const MAX_PIPELINE_COMPONENTS = 200;
/** Most bytes of JSON text one pipeline document may take (192 KiB: it fits one 256 KiB GraphQL request). */
export const MAX_PIPELINE_DOCUMENT_BYTES = 192 * 1024;
/** Most inputs one component may name. */
export const MAX_COMPONENT_INPUTS = MAX_PIPELINE_COMPONENTS;
/** Longest input reference: a component id, a dot and a named output (`route.errors`), or a glob. */
export const MAX_INPUT_REFERENCE_LENGTH = 128;

/** Component ids become Vector ids: no dots, 1–63 characters, unique within the document. */
export const ComponentId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'use 1–63 lower-case letters, digits, "_" and "-", starting with a letter or digit',
  );
/** What a component's `inputs` entry may be: an id, `<id>.<output>`, or a Vector glob. */
export const InputReference = storableText()
  .min(1, 'must not be empty')
  .max(MAX_INPUT_REFERENCE_LENGTH, `must be at most ${MAX_INPUT_REFERENCE_LENGTH} characters`);
export const ComponentKindSchema = z.enum(COMPONENT_KINDS);
export const ComponentType = storableText().min(1, 'must not be empty').max(64);
export const PlatformList = z
  .array(Platform)
  .min(1, 'pick at least one platform')
  .max(Platform.options.length);

/** One component as stored: every field present. */
export interface PipelineComponent {
  id: string;
  kind: ComponentKind;
  type: string;
  options: Record<string, unknown>;
  /** Ids (or `<id>.<output>`) this component reads; always empty for sources. */
  inputs: string[];
  enabled: boolean;
  platforms: Platform[];
}

export interface PipelineDocument {
  components: PipelineComponent[];
}

/** The empty pipeline: what a new group starts with. */
export const EMPTY_DOCUMENT: PipelineDocument = { components: [] };

/** A component as a client may write it: `options`, `inputs`, `enabled`, `platforms` default. */
export const ComponentInput = z.strictObject({
  id: ComponentId,
  kind: ComponentKindSchema,
  type: ComponentType,
  options: storableOptions().default({}),
  inputs: z.array(InputReference).max(MAX_COMPONENT_INPUTS).default([]),
  enabled: z.boolean().default(true),
  platforms: PlatformList.optional(),
});
export type ComponentInput = z.input<typeof ComponentInput>;

/** A component with its defaults filled in: sources run where their type runs, the rest everywhere. */
export function completeComponent(input: z.output<typeof ComponentInput>): PipelineComponent {
  const platforms =
    input.platforms ?? (input.kind === 'source' ? defaultPlatforms(input.type) : [...Platform.options]);
  return {
    id: input.id,
    kind: input.kind,
    type: input.type,
    options: input.options,
    inputs: input.inputs,
    enabled: input.enabled,
    platforms: Platform.options.filter((p) => platforms.includes(p)),
  };
}

/** Issues that make a document unstorable beyond each component's own shape. */
function documentIssues(components: PipelineComponent[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  components.forEach((c, index) => {
    const first = seen.get(c.id);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['components', index, 'id'],
        message: `"${c.id}" is already the id of component ${first + 1}: ids must be unique`,
      });
    } else seen.set(c.id, index);
    if (c.kind === 'source' && c.inputs.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['components', index, 'inputs'],
        message: 'a source reads no inputs',
      });
    }
  });
  const bytes = documentBytes({ components });
  if (bytes > MAX_PIPELINE_DOCUMENT_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['components'],
      message: `the document takes ${bytes} bytes of JSON, more than the ${MAX_PIPELINE_DOCUMENT_BYTES} allowed`,
    });
  }
}

/** The whole document as a client writes it; refuses what cannot be stored. */
export const DocumentInput = z
  .strictObject({
    components: z
      .array(ComponentInput.transform(completeComponent))
      .max(MAX_PIPELINE_COMPONENTS, `a pipeline holds at most ${MAX_PIPELINE_COMPONENTS} components`),
  })
  .superRefine((doc, ctx) => documentIssues(doc.components, ctx));

/** Bytes of the document's JSON text (the size limit's measure). */
export function documentBytes(document: PipelineDocument): number {
  return Buffer.byteLength(JSON.stringify(document), 'utf8');
}

/**
 * Parse a document a client sent (or one read back from the database) into its stored form, with
 * defaults filled in. Throws FleetError(validation_failed) naming each field (`components.2.id`)
 * when it cannot be stored: bad shape or id, duplicate ids, NUL bytes, too many components, too big.
 */
export function parseDocument(value: unknown): PipelineDocument {
  return parseInput(DocumentInput, value);
}

/** Read a stored document column (written by parseDocument, so trusted). */
export function storedDocument(value: unknown): PipelineDocument {
  return value as PipelineDocument;
}

/** Key order fixed, components sorted by id: two documents with equal content give equal text. */
export function canonicalJson(document: PipelineDocument): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  };
  const components = [...document.components].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return JSON.stringify(sortKeys({ components }));
}

/** True when two documents hold the same components with the same content (order aside). */
export function sameContent(a: PipelineDocument, b: PipelineDocument): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The id part of an input reference: `route.errors` → `route`. */
export function referencedId(reference: string): string {
  const dot = reference.indexOf('.');
  return dot === -1 ? reference : reference.slice(0, dot);
}
