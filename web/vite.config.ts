/**
 * Vite for the dashboard: `npm run build:web` writes web/dist (served by the API server at `/`);
 * `npm run dev` serves web/ with hot reload and proxies the API (GraphQL over HTTP and WebSocket,
 * the agent REST routes, /install.sh) to a running server at FLOTILLA_API_URL
 * (default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, loadEnv, type ProxyOptions } from 'vite';
import vue from '@vitejs/plugin-vue';
import { graphqlDocuments } from './graphql-documents-plugin.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig(({ mode }) => {
  const target = loadEnv(mode, process.cwd(), 'FLOTILLA_').FLOTILLA_API_URL ?? 'http://127.0.0.1:8080';
  const proxy: ProxyOptions = {
    target,
    changeOrigin: true,
    // The server accepts cookie-authenticated WebSockets from its own origin only.
    configure: (server) => server.on('proxyReqWs', (req) => req.setHeader('origin', new URL(target).origin)),
  };
  return {
    root,
    plugins: [vue(), graphqlDocuments(fileURLToPath(new URL('../codegen/gql/', import.meta.url)))],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      chunkSizeWarningLimit: 1200,
      rolldownOptions: { checks: { bundlerTimings: false } },
    },
    server: {
      proxy: {
        '/graphql': { ...proxy, ws: true },
        '/api': proxy,
        '/install.sh': proxy,
        '/healthz': proxy,
      },
    },
  };
});
