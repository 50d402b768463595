/**
 * Run a mutation and turn its outcome into something a form can show. Mutations answer either
 * their payload or a typed error implementing `Error` (code, message, fields with dotted paths
 * relative to `input`); transport and permission failures arrive as a CombinedError. Field
 * messages are keyed by path so each form field shows its own; the rest goes to `message`.
 */
import { ref, type Ref } from 'vue';
import { describeError } from '../lib/errors.ts';

export interface FieldIssue {
  path: string;
  message: string;
}

export interface TypedError {
  __typename?: string;
  code: string;
  message: string;
  fields?: FieldIssue[];
}

interface ResultLike<D> {
  data?: D | null;
  error?: unknown;
}

/** Whether a mutation field's value is a typed error rather than the payload. */
export function isTypedError(value: unknown): value is TypedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TypedError).code === 'string' &&
    typeof (value as TypedError).message === 'string'
  );
}

export interface MutationResult {
  pending: Readonly<Ref<boolean>>;
  /** The failure in words (null after success or before the first run). */
  message: Ref<string | null>;
  /** Field path → message, from the error's `fields`. */
  fieldErrors: Ref<Record<string, string>>;
  /** The error code of the last typed failure (e.g. `conflict`), or null. */
  code: Ref<string | null>;
  /**
   * Run `exec` and pick the mutation field from its data. Resolves the payload on success and
   * null on any failure (then `message`, `fieldErrors` and `code` say why). Never rejects.
   */
  run<D, P>(
    exec: () => Promise<ResultLike<D>>,
    pick: (data: D) => P | TypedError | null | undefined,
  ): Promise<P | null>;
  /** Forget the last failure (e.g. when a dialog reopens). */
  clear(): void;
}

/** Mutation state for one form or button. Call in setup; holds no subscriptions. */
export function useMutationResult(): MutationResult {
  const pending = ref(false);
  const message = ref<string | null>(null);
  const fieldErrors = ref<Record<string, string>>({});
  const code = ref<string | null>(null);

  const clear = () => {
    message.value = null;
    fieldErrors.value = {};
    code.value = null;
  };

  async function run<D, P>(
    exec: () => Promise<ResultLike<D>>,
    pick: (data: D) => P | TypedError | null | undefined,
  ): Promise<P | null> {
    clear();
    pending.value = true;
    try {
      const result = await exec();
      if (result.error || !result.data) {
        message.value = describeError(result.error ?? new Error('The server sent no answer.'));
        return null;
      }
      const value = pick(result.data);
      if (isTypedError(value)) {
        code.value = value.code;
        const fields = value.fields ?? [];
        fieldErrors.value = Object.fromEntries(fields.map((f) => [f.path, f.message]));
        message.value = value.message;
        return null;
      }
      return (value ?? null) as P | null;
    } catch (error) {
      message.value = describeError(error);
      return null;
    } finally {
      pending.value = false;
    }
  }

  return { pending, message, fieldErrors, code, run, clear };
}
