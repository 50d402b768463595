/**
 * Mutations as the dashboard runs them. Every mutation document selects one root field whose value
 * is either the payload or a typed error implementing `Error` (selected through the MutationError
 * fragment: code, message, fields with dotted paths relative to `input`); error types are named
 * `…Error` (architecture rule), so the outcome branches on `__typename`. Transport, permission and
 * unexpected failures arrive as a CombinedError and are put into words by lib/errors.ts.
 */
import { ref, type Ref } from 'vue';
import { useClientHandle } from '@urql/vue';
import { useToast } from 'primevue/usetoast';
import type { AnyVariables, Client, TypedDocumentNode } from '@urql/core';
import { useFragment, type FragmentType } from '../../../codegen/gql/index.ts';
import { MutationErrorFragment } from '../graphql/errors.ts';
import { describeError } from '../lib/errors.ts';

/** The data of a mutation document: its one root field, answering a payload or a typed error. */
export type MutationData = { [field: string]: { __typename: string } };
type RootOf<D extends MutationData> = D[keyof D];
/** The payload branch of a mutation's result (every member whose `__typename` is not `…Error`). */
export type PayloadOf<D extends MutationData> = Exclude<RootOf<D>, { __typename: `${string}Error` }>;

/** What one mutation run came to. */
export type MutationOutcome<P> =
  | { ok: true; payload: P }
  | {
      ok: false;
      /** The failure in words for people. */
      message: string;
      /** The typed error's code (`conflict`, `validation_failed` …), or null for transport failures. */
      code: string | null;
      /** Field path (relative to `input`) → message, from the typed error's `fields`. */
      fieldErrors: Record<string, string>;
    };

const isErrorBranch = (value: { __typename: string }) => value.__typename.endsWith('Error');

/**
 * Run `document` once with `variables` on `client` and branch on the root field's `__typename`.
 * May be called anywhere (no Vue setup needed). Never rejects: a network or GraphQL error, a
 * missing answer or a thrown exchange all resolve `{ ok: false }` with a message.
 */
export async function runMutation<D extends MutationData, V extends AnyVariables>(
  client: Client,
  document: TypedDocumentNode<D, V>,
  variables: V,
): Promise<MutationOutcome<PayloadOf<D>>> {
  const failure = (error: unknown) => ({
    ok: false as const,
    message: describeError(error),
    code: null,
    fieldErrors: {},
  });
  try {
    const result = await client.mutation(document, variables).toPromise();
    const root = result.data
      ? Object.values(result.data).find((value) => typeof value === 'object' && value !== null)
      : undefined;
    if (result.error || !root) return failure(result.error ?? new Error('The server sent no answer.'));
    if (!isErrorBranch(root)) return { ok: true, payload: root as PayloadOf<D> };
    const error = useFragment(MutationErrorFragment, root as FragmentType<typeof MutationErrorFragment>);
    return {
      ok: false,
      message: error.message,
      code: error.code,
      fieldErrors: Object.fromEntries(error.fields.map((f) => [f.path, f.message])),
    };
  } catch (error) {
    return failure(error);
  }
}

export interface Mutation {
  /** A run is in flight. */
  pending: Readonly<Ref<boolean>>;
  /** The last failure in words (null after success, before the first run and after clear()). */
  message: Readonly<Ref<string | null>>;
  /** Field path → message of the last failure, for forms to show beside each field. */
  fieldErrors: Readonly<Ref<Record<string, string>>>;
  /** Run `document`: resolves its payload on success, null on any failure. Never rejects. */
  run<D extends MutationData, V extends AnyVariables>(
    document: TypedDocumentNode<D, V>,
    variables: V,
  ): Promise<PayloadOf<D> | null>;
  /** Forget the last failure (e.g. when a dialog reopens). */
  clear(): void;
}

export interface MutationOptions {
  /**
   * Also report failures as an error toast: `true` uses the message as the summary; a string is
   * the summary and the message its detail. Needs PrimeVue's ToastService.
   */
  errorToast?: boolean | string;
  /** The urql client; defaults to the app's (useClientHandle). */
  client?: Client;
}

/**
 * Mutation state for one form, dialog or page: call in a component's setup (it reads the app's
 * urql client and, with `errorToast`, the toast service). Holds no subscriptions.
 */
export function useMutation(options: MutationOptions = {}): Mutation {
  const client = options.client ?? useClientHandle().client;
  const toast = options.errorToast ? useToast() : null;
  const pending = ref(false);
  const message = ref<string | null>(null);
  const fieldErrors = ref<Record<string, string>>({});

  const clear = () => {
    message.value = null;
    fieldErrors.value = {};
  };

  async function run<D extends MutationData, V extends AnyVariables>(
    document: TypedDocumentNode<D, V>,
    variables: V,
  ): Promise<PayloadOf<D> | null> {
    clear();
    pending.value = true;
    const outcome = await runMutation(client, document, variables);
    pending.value = false;
    if (outcome.ok) return outcome.payload;
    message.value = outcome.message;
    fieldErrors.value = outcome.fieldErrors;
    if (toast) {
      const summary = typeof options.errorToast === 'string' ? options.errorToast : outcome.message;
      const detail = typeof options.errorToast === 'string' ? outcome.message : undefined;
      toast.add({ severity: 'error', summary, detail, life: 6000 });
    }
    return null;
  }

  return { pending, message, fieldErrors, run, clear };
}
