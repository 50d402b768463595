/**
 * Prisma CLI configuration, passed explicitly with `--config prisma/prisma.config.ts` by
 * `prisma/tools/prisma.mjs` (use `npm run prisma -- <command>`).
 *
 * Paths are resolved relative to THIS file's directory, not the working directory: `schema.prisma` here
 * is `prisma/schema.prisma`, `migrations` is `prisma/migrations`.
 *
 * The config does not load `.env`. `env()` from `prisma/config` throws when the variable is unset, which
 * would break `generate` on fresh clones and CI, so fall back to the local development database instead.
 * SHADOW_DATABASE_URL (optional) names an existing, empty database for `migrate dev` / `migrate diff
 * --from-migrations`; without it the engine shim creates and drops `prisma_migrate_shadow_db_<uuid>`.
 */
import { defineConfig } from 'prisma/config';

const shadowDatabaseUrl = process.env.SHADOW_DATABASE_URL;

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/flotilla_dev',
    ...(shadowDatabaseUrl ? { shadowDatabaseUrl } : {}),
  },
});
