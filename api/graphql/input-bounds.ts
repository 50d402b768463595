/**
 * Input text and JSON at the GraphQL boundary. PostgreSQL stores no NUL character and no unpaired
 * surrogate, and a JSON value nested thousands of levels deep must never reach a resolver, so
 * both are refused before execution with a typed BAD_USER_INPUT error naming where the value is,
 * instead of failing in the database and coming back as a masked internal error. The bounds are
 * api/protocol/v1.ts's (`isStorableText`, `jsonBlobProblem`): one home for every input bound.
 *
 * - Text: `useStorableInput` walks the raw variables and the document's string literals once
 *   (every string and JSON key, whatever its type), on HTTP and graphql-ws alike.
 * - JSON: the JSON scalar passes every value it parses through `checkedJson` (depth and text).
 */
import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { UNSTORABLE_MESSAGE, isStorableText, jsonBlobProblem } from '../protocol/storable.ts';

/** The error code of every refused input value. */
export const BAD_USER_INPUT = 'BAD_USER_INPUT';

function inputError(where: string, problem: string, nodes?: ASTNode): GraphQLError {
  return new GraphQLError(`${where} ${problem}`, {
    nodes,
    extensions: { code: BAD_USER_INPUT, inputPath: where },
  });
}

/** The path of the first unstorable string or key in a raw variables object, or null. */
function unstorableVariable(variables: Record<string, unknown>): string | null {
  const stack: { value: unknown; path: string }[] = Object.entries(variables).map(([name, value]) => ({
    value,
    path: `$${name}`,
  }));
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (!isStorableText(value)) return path;
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]` }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (!isStorableText(key)) return `${path} (a key)`;
        stack.push({ value: child, path: `${path}.${key}` });
      }
    }
  }
  return null;
}

/** The first string literal of `document` that the database cannot store, with its argument path. */
function unstorableLiteral(document: DocumentNode): GraphQLError | null {
  let found: GraphQLError | null = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (found || isStorableText(node.value)) return;
      const chain = [...ancestors, parent] as readonly (ASTNode | readonly ASTNode[] | undefined)[];
      const names = chain.flatMap((a) =>
        a &&
        'kind' in a &&
        (a.kind === Kind.FIELD || a.kind === Kind.ARGUMENT || a.kind === Kind.OBJECT_FIELD)
          ? [a.name.value]
          : [],
      );
      found = inputError(names.join('.') || 'a string literal', UNSTORABLE_MESSAGE, node);
    },
  });
  return found;
}

/**
 * The errors that keep an operation from running because of unstorable input text (empty when
 * it may run): the first offending variable or string literal, as a BAD_USER_INPUT error whose
 * `inputPath` names it (`$input.name`, `createGroup.input.name`).
 */
export function inputTextErrors(args: {
  document: DocumentNode;
  variableValues?: Record<string, unknown> | null;
}): GraphQLError[] {
  const variable = args.variableValues ? unstorableVariable(args.variableValues) : null;
  if (variable !== null) return [inputError(variable, UNSTORABLE_MESSAGE)];
  const literal = unstorableLiteral(args.document);
  return literal ? [literal] : [];
}

/** The Yoga/envelop plugin: refuses unstorable input text before execution or subscription. */
export function useStorableInput(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const errors = inputTextErrors(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = inputTextErrors(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}

/**
 * Throws a BAD_USER_INPUT GraphQLError when a JSON scalar value cannot be stored: nested deeper
 * than MAX_JSON_DEPTH, or with a NUL / unpaired surrogate in a string or key. Size is left to the
 * body limit and to each fleet rule. Returns the value unchanged otherwise.
 */
export function checkedJson(value: unknown): unknown {
  const problem = jsonBlobProblem(value, { maxBytes: null });
  if (problem) throw new GraphQLError(`JSON ${problem}`, { extensions: { code: BAD_USER_INPUT } });
  return value;
}
