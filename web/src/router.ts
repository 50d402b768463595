/**
 * The route table (explicit; no file-based routing). Every route but sign-in needs a session;
 * routes with `meta.admin` need the admin role. Page titles come from `meta.title`.
 */
import { createRouter, createWebHistory, type Router } from 'vue-router';
import type { Session } from './session.ts';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    public?: boolean;
    admin?: boolean;
  }
}

/** Build the router; the guard sends anonymous visitors to sign-in and keeps where they wanted to go. */
export function createAppRouter(session: Session): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      {
        path: '/login',
        name: 'login',
        component: () => import('./pages/LoginPage.vue'),
        meta: { title: 'Sign in', public: true },
      },
      {
        path: '/',
        name: 'overview',
        component: () => import('./pages/OverviewPage.vue'),
        meta: { title: 'Overview' },
      },
      {
        path: '/agents',
        name: 'agents',
        component: () => import('./pages/AgentsPage.vue'),
        meta: { title: 'Agents' },
      },
      {
        path: '/agents/:id',
        name: 'agent',
        component: () => import('./pages/AgentPage.vue'),
        props: true,
        meta: { title: 'Agent' },
      },
      {
        path: '/alerts',
        name: 'alerts',
        component: () => import('./pages/AlertsPage.vue'),
        meta: { title: 'Alerts' },
      },
      {
        path: '/failures',
        name: 'failures',
        component: () => import('./pages/FailuresPage.vue'),
        meta: { title: 'Failures' },
      },
      {
        path: '/groups',
        name: 'groups',
        component: () => import('./pages/GroupsPage.vue'),
        meta: { title: 'Groups' },
      },
      {
        path: '/groups/:slug',
        name: 'group',
        component: () => import('./pages/GroupPage.vue'),
        props: true,
        meta: { title: 'Group' },
      },
      {
        path: '/groups/:slug/history',
        name: 'group-history',
        component: () => import('./pages/GroupHistoryPage.vue'),
        props: true,
        meta: { title: 'Pipeline history' },
      },
      {
        path: '/rollouts/:id',
        name: 'rollout',
        component: () => import('./pages/RolloutPage.vue'),
        props: true,
        meta: { title: 'Rollout' },
      },
      {
        path: '/tokens',
        name: 'tokens',
        component: () => import('./pages/TokensPage.vue'),
        meta: { title: 'Enrolment tokens' },
      },
      {
        path: '/actions',
        name: 'actions',
        component: () => import('./pages/ActionsPage.vue'),
        meta: { title: 'Actions' },
      },
      {
        path: '/settings',
        name: 'settings',
        component: () => import('./pages/SettingsPage.vue'),
        meta: { title: 'Settings' },
      },
      {
        path: '/admin/:tab(users|api-tokens|audit)?',
        name: 'admin',
        component: () => import('./pages/AdminPage.vue'),
        props: (route) => ({ tab: route.params.tab || 'users' }),
        meta: { title: 'Administration', admin: true },
      },
      {
        path: '/:missing(.*)*',
        name: 'not-found',
        component: () => import('./pages/NotFoundPage.vue'),
        meta: { title: 'Not found' },
      },
    ],
  });

  router.beforeEach(async (to) => {
    const signedIn = await session.ensureLoaded();
    if (to.meta.public) return signedIn && to.name === 'login' ? { name: 'overview' } : true;
    if (!signedIn) return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
    if (to.meta.admin && !session.isAdmin.value) return { name: 'overview', query: { forbidden: to.path } };
    return true;
  });
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · Flotilla` : 'Flotilla';
  });
  return router;
}
