/** Dashboard entry: the app with its GraphQL client, session, router and PrimeVue. */
import { createApp } from 'vue';
import urql from '@urql/vue';
import PrimeVue from 'primevue/config';
import ToastService from 'primevue/toastservice';
import ConfirmationService from 'primevue/confirmationservice';
import Tooltip from 'primevue/tooltip';
import 'primeicons/primeicons.css';
import './styles.css';
import App from './App.vue';
import { createFlotillaClient, CONNECTION_KEY } from './urql.ts';
import { createSession, SESSION_KEY } from './session.ts';
import { createAppRouter } from './router.ts';
import { primeVueOptions } from './theme.ts';
import { useColorScheme } from './color-scheme.ts';

useColorScheme();

const live = createFlotillaClient({ onUnauthenticated: () => session.expire() });
const session = createSession(live.client, {
  onChange(viewer) {
    if (viewer) live.goLive();
    else {
      live.goIdle();
      const here = router.currentRoute.value;
      if (!here.meta.public) void router.push({ name: 'login', query: { next: here.fullPath } });
    }
  },
});
const router = createAppRouter(session);

createApp(App)
  .use(urql, live.client)
  .use(router)
  .use(PrimeVue, primeVueOptions)
  .use(ToastService)
  .use(ConfirmationService)
  .directive('tooltip', Tooltip)
  .provide(SESSION_KEY, session)
  .provide(CONNECTION_KEY, live.connection)
  .mount('#app');
