// @vitest-environment happy-dom
/** useViewState and useMutationResult: what a view or a form shows for each outcome. */
import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { useViewState } from '../../web/src/composables/useViewState.ts';
import { isTypedError, useMutationResult } from '../../web/src/composables/useMutationResult.ts';

const networkDown = { networkError: new Error('Failed to fetch'), graphQLErrors: [] };
const forbidden = {
  graphQLErrors: [
    { message: 'Mutation.createGroup needs a higher role than viewer', extensions: { code: 'FORBIDDEN' } },
  ],
};

describe('useViewState', () => {
  it('shows loading, then empty or the data', () => {
    const loading = ref(true);
    const hasData = ref(false);
    const view = useViewState({ loading, error: null, hasData });
    expect(view.state.value).toBe('loading');
    loading.value = false;
    expect(view.state.value).toBe('empty');
    hasData.value = true;
    expect(view.state.value).toBe('ready');
  });

  it('shows an error instead of nothing, but keeps data on screen and flags it stale', () => {
    const hasData = ref(false);
    const error = ref<unknown>(networkDown);
    const view = useViewState({ loading: false, error, hasData });
    expect(view.state.value).toBe('error');
    expect(view.errorMessage.value).toMatch(/Cannot reach the Flotilla server/);
    hasData.value = true;
    expect(view.state.value).toBe('ready');
    expect(view.stale.value).toBe(true);
    error.value = null;
    expect(view.stale.value).toBe(false);
  });

  it('explains a forbidden request by the role', () => {
    const view = useViewState({ loading: false, error: forbidden, hasData: false });
    expect(view.errorMessage.value).toMatch(/^Your role does not allow this\./);
  });
});

describe('useMutationResult', () => {
  it('resolves the payload on success and clears earlier failures', async () => {
    const m = useMutationResult();
    m.message.value = 'old';
    const payload = await m.run(
      async () => ({ data: { createGroup: { __typename: 'CreateGroupPayload', data: { id: 'g1' } } } }),
      (d) => d.createGroup,
    );
    expect(payload).toEqual({ __typename: 'CreateGroupPayload', data: { id: 'g1' } });
    expect(m.message.value).toBeNull();
    expect(m.pending.value).toBe(false);
  });

  it('puts field errors on their fields and keeps the code', async () => {
    const m = useMutationResult();
    const payload = await m.run(
      async () => ({
        data: {
          createInput: {
            __typename: 'ValidationError',
            code: 'validation_failed',
            message: 'options.include: required',
            fields: [{ path: 'options.include', message: 'required' }],
          },
        },
      }),
      (d) => d.createInput,
    );
    expect(payload).toBeNull();
    expect(m.code.value).toBe('validation_failed');
    expect(m.fieldErrors.value).toEqual({ 'options.include': 'required' });
    expect(m.message.value).toBe('options.include: required');
  });

  it('describes transport and permission failures without rejecting', async () => {
    const m = useMutationResult();
    expect(
      await m.run(
        async () => ({ error: forbidden }),
        () => null,
      ),
    ).toBeNull();
    expect(m.message.value).toMatch(/Your role does not allow this/);
    expect(
      await m.run(
        () => Promise.reject(new Error('boom')),
        () => null,
      ),
    ).toBeNull();
    expect(m.message.value).toBe('boom');
  });

  it('recognises typed errors by code and message', () => {
    expect(isTypedError({ code: 'conflict', message: 'taken' })).toBe(true);
    expect(isTypedError({ data: { id: 'x' } })).toBe(false);
    expect(isTypedError(null)).toBe(false);
  });
});
