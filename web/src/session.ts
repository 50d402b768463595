/**
 * The signed-in user for the whole app: loaded once from `viewer`, set by sign-in, cleared by
 * sign-out or when the server says the session ended. Roles gate what the pages offer (the server
 * enforces them again on every request).
 */
import { computed, inject, ref, type ComputedRef, type InjectionKey, type Ref } from 'vue';
import type { Client } from '@urql/core';
import { LoginMutation, LogoutMutation, ViewerQuery } from './graphql/viewer.ts';
import type { ViewerQuery as ViewerQueryResult } from '../../codegen/gql/graphql.ts';
import { ROLE_RANK } from './lib/enums.ts';
import { runMutation } from './composables/useMutation.ts';

export type Viewer = NonNullable<ViewerQueryResult['viewer']>;

export interface SignInOutcome {
  ok: boolean;
  message?: string;
}

export interface Session {
  viewer: Readonly<Ref<Viewer | null>>;
  /** The viewer may change the fleet (editor or admin). */
  canEdit: ComputedRef<boolean>;
  /** The viewer may manage users, API tokens and read the audit log. */
  isAdmin: ComputedRef<boolean>;
  /** Load the viewer once (later calls reuse the answer); resolves false when nobody is signed in. */
  ensureLoaded(): Promise<boolean>;
  /** Sign in with email and password; resolves the outcome, never rejects. */
  signIn(email: string, password: string): Promise<SignInOutcome>;
  /** End the session on the server and forget the viewer. Never rejects. */
  signOut(): Promise<void>;
  /** Forget the viewer because the server no longer accepts the session. */
  expire(): void;
}

export const SESSION_KEY: InjectionKey<Session> = Symbol('session');

export interface SessionHooks {
  /** Called with the new viewer after sign-in or a successful first load; null after sign-out/expiry. */
  onChange(viewer: Viewer | null): void;
}

/** Build the session store over `client`. Nothing is fetched until ensureLoaded(). */
export function createSession(client: Client, hooks: SessionHooks): Session {
  const viewer = ref<Viewer | null>(null);
  let loading: Promise<boolean> | null = null;

  const set = (next: Viewer | null) => {
    const changed = (viewer.value?.user.id ?? null) !== (next?.user.id ?? null);
    viewer.value = next;
    if (changed) hooks.onChange(next);
  };

  return {
    viewer,
    canEdit: computed(() => (viewer.value ? ROLE_RANK[viewer.value.role] >= ROLE_RANK.editor : false)),
    isAdmin: computed(() => viewer.value?.role === 'admin'),
    ensureLoaded() {
      loading ??= client
        .query(ViewerQuery, {}, { requestPolicy: 'network-only' })
        .toPromise()
        .then((result) => {
          set(result.data?.viewer ?? null);
          if (result.error && !result.data) loading = null;
          return viewer.value !== null;
        });
      return loading;
    },
    async signIn(email, password) {
      const outcome = await runMutation(client, LoginMutation, { input: { email, password } });
      if (!outcome.ok) return { ok: false, message: outcome.message };
      loading = Promise.resolve(true);
      set(outcome.payload.viewer);
      return { ok: true };
    },
    async signOut() {
      await runMutation(client, LogoutMutation, { input: {} });
      loading = Promise.resolve(false);
      set(null);
    },
    expire() {
      if (!viewer.value) return;
      loading = Promise.resolve(false);
      set(null);
    },
  };
}

/** The app's session; call inside a component's setup. Throws when the app did not provide one. */
export function useSession(): Session {
  const session = inject(SESSION_KEY);
  if (!session) throw new Error('useSession() called outside the Flotilla app');
  return session;
}
