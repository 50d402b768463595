/**
 * One answer to "what should this view show": a spinner, an error, an empty state, or the data.
 * Data already on screen wins over a later error (the error then shows as a banner, not instead
 * of the data), so a failed live refetch never blanks a page.
 */
import { computed, toValue, type ComputedRef, type MaybeRefOrGetter } from 'vue';
import { describeError } from '../lib/errors.ts';

export type ViewState = 'loading' | 'error' | 'empty' | 'ready';

export interface ViewStateInput {
  loading: MaybeRefOrGetter<boolean>;
  error: MaybeRefOrGetter<unknown>;
  /** Whether there is data to show (a loaded entity, a non-empty list). */
  hasData: MaybeRefOrGetter<boolean>;
}

export interface ViewStateResult {
  state: ComputedRef<ViewState>;
  /** The error in words, or null. */
  errorMessage: ComputedRef<string | null>;
  /** An error happened while data is still on screen (show a banner above it). */
  stale: ComputedRef<boolean>;
}

/** Derive the view state from loading / error / data refs (or getters). Pure; never throws. */
export function useViewState(input: ViewStateInput): ViewStateResult {
  const state = computed<ViewState>(() => {
    if (toValue(input.hasData)) return 'ready';
    if (toValue(input.error)) return 'error';
    if (toValue(input.loading)) return 'loading';
    return 'empty';
  });
  const errorMessage = computed(() => {
    const error = toValue(input.error);
    return error ? describeError(error) : null;
  });
  const stale = computed(() => state.value === 'ready' && errorMessage.value !== null);
  return { state, errorMessage, stale };
}
