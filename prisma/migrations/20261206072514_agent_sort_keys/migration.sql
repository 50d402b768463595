-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "agent_version_key" TEXT,
ADD COLUMN     "config_error_at" TIMESTAMPTZ(3),
ADD COLUMN     "hostname_sort_key" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "vector_version_key" TEXT;

-- CreateIndex
CREATE INDEX "agents_hostname_sort_key_idx" ON "agents"("hostname_sort_key");

-- Backfill (written by hand). The two session-local functions are the SQL twins of naturalKey and
-- versionKey in api/fleet/sort-keys.ts, and test/fleet/agent-query.test.ts runs them against the
-- TypeScript on both databases. They are dropped again at the end.
-- sort-keys:begin
CREATE FUNCTION pg_temp.flotilla_natural_key(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(string_agg(
    CASE WHEN r.m[1] ~ '^[0-9]{1,10}$' THEN lpad(r.m[1], 10, '0') ELSE r.m[1] END, '' ORDER BY r.n), '')
  FROM regexp_matches(lower(t), '[0-9]+|[^0-9]+', 'g') WITH ORDINALITY AS r(m, n)
$$;
CREATE FUNCTION pg_temp.flotilla_version_key(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT lpad(s.m[1], 10, '0') || lpad(COALESCE(s.m[2], '0'), 10, '0') || lpad(COALESCE(s.m[3], '0'), 10, '0')
    || CASE WHEN s.m[4] IS NULL THEN '1' ELSE '0' || pg_temp.flotilla_natural_key(s.m[4]) END
  FROM (SELECT regexp_match(v,
    '^v?([0-9]{1,10})(?:\.([0-9]{1,10}))?(?:\.([0-9]{1,10}))?(?:-([0-9A-Za-z.-]+))?(?:$|[+[:space:]])') AS m) AS s
  WHERE s.m IS NOT NULL
$$;
-- sort-keys:end

UPDATE "agents" SET
  "hostname_sort_key" = pg_temp.flotilla_natural_key("hostname"),
  "agent_version_key" = pg_temp.flotilla_version_key("agent_version"),
  "vector_version_key" = pg_temp.flotilla_version_key("vector_version"),
  "config_error_at" = CASE WHEN "config_error_version" IS NULL THEN NULL ELSE "updated_at" END;

DROP FUNCTION pg_temp.flotilla_version_key(text);
DROP FUNCTION pg_temp.flotilla_natural_key(text);
