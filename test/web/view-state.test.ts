// @vitest-environment happy-dom
/** useViewState: what a view shows for each outcome. */
import { describe, expect, it } from 'vitest';
import { ref } from 'vue';
import { useViewState } from '../../web/src/composables/useViewState.ts';

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
