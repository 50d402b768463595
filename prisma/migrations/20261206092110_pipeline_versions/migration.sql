-- CreateTable
CREATE TABLE "pipeline_drafts" (
    "group_id" UUID NOT NULL,
    "document" JSONB,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "base_version" INTEGER NOT NULL DEFAULT 0,
    "updated_by_id" TEXT,
    "updated_by" TEXT NOT NULL DEFAULT '',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pipeline_drafts_pkey" PRIMARY KEY ("group_id")
);

-- CreateTable
CREATE TABLE "pipeline_versions" (
    "id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "message" TEXT NOT NULL,
    "author_id" TEXT,
    "author" TEXT NOT NULL,
    "rollback_of" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pipeline_versions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "pipeline_versions_group_id_version_key" ON "pipeline_versions"("group_id", "version");

-- AddForeignKey
ALTER TABLE "pipeline_drafts" ADD CONSTRAINT "pipeline_drafts_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_versions" ADD CONSTRAINT "pipeline_versions_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Each group's inputs and outputs become the document of version N = its current config_version
-- (the rendered_configs rows of N stay as they are: same bytes, same etag, no agent sees a change).
-- An input with routing overrides becomes an ordinary remap transform `<name>_routing` reading it,
-- with the VRL program the server used to render (api/fleet/vector/render.ts before this change);
-- an output with no input ids reads every input, as it used to.
CREATE FUNCTION pg_temp.vrl_string(value TEXT) RETURNS TEXT LANGUAGE SQL IMMUTABLE AS $$
  SELECT '"' || replace(replace(replace(replace(replace(replace(value,
    '\', '\\'), '"', '\"'), E'\n', '\n'), E'\r', '\r'), E'\t', '\t'), '{', '\{') || '"'
$$;

CREATE TEMP TABLE legacy_inputs AS
SELECT i.*,
  concat(
    CASE WHEN i.index_override IS NOT NULL THEN '.index = ' || pg_temp.vrl_string(i.index_override) || E'\n' END,
    CASE WHEN i.sourcetype_override IS NOT NULL THEN '.sourcetype = ' || pg_temp.vrl_string(i.sourcetype_override) || E'\n' END,
    CASE WHEN i.source_override IS NOT NULL THEN '.source = ' || pg_temp.vrl_string(i.source_override) || E'\n' END
  ) AS routing,
  to_jsonb(ARRAY(SELECT p::TEXT FROM unnest(i.platforms) AS p ORDER BY p)) AS platform_list
FROM "inputs" i;

CREATE TEMP TABLE legacy_components AS
SELECT i.group_id, i.name AS id, jsonb_build_object(
    'id', i.name, 'kind', 'source', 'type', i.type, 'options', i.options, 'inputs', '[]'::jsonb,
    'enabled', i.enabled, 'platforms', i.platform_list) AS component
  FROM legacy_inputs i
UNION ALL
SELECT i.group_id, i.name || '_routing', jsonb_build_object(
    'id', i.name || '_routing', 'kind', 'transform', 'type', 'remap',
    'options', jsonb_build_object('source', i.routing), 'inputs', jsonb_build_array(i.name),
    'enabled', i.enabled, 'platforms', i.platform_list)
  FROM legacy_inputs i WHERE i.routing <> ''
UNION ALL
SELECT o.group_id, o.name, jsonb_build_object(
    'id', o.name, 'kind', 'sink', 'type', o.type, 'options', o.options,
    'inputs', COALESCE((
      SELECT jsonb_agg(CASE WHEN i.routing <> '' THEN i.name || '_routing' ELSE i.name END ORDER BY i.name)
      FROM legacy_inputs i
      WHERE i.group_id = o.group_id AND (cardinality(o.input_ids) = 0 OR i.id = ANY (o.input_ids))
    ), '[]'::jsonb),
    'enabled', o.enabled, 'platforms', '["linux", "kubernetes"]'::jsonb)
  FROM "outputs" o;

INSERT INTO "pipeline_versions" ("id", "group_id", "version", "document", "message", "author")
SELECT gen_random_uuid(), g.id, g.config_version,
  jsonb_build_object('components', COALESCE((
    SELECT jsonb_agg(c.component ORDER BY c.id COLLATE "C") FROM legacy_components c WHERE c.group_id = g.id
  ), '[]'::jsonb)),
  'Version ' || g.config_version || ': the inputs and outputs of the group before pipeline versions',
  'system'
FROM "groups" g;

-- The helpers above are session-local: drop them explicitly (a runner may keep its session).
DROP TABLE legacy_components;
DROP TABLE legacy_inputs;
DROP FUNCTION pg_temp.vrl_string(TEXT);

-- DropForeignKey
ALTER TABLE "inputs" DROP CONSTRAINT "inputs_group_id_fkey";

-- DropForeignKey
ALTER TABLE "outputs" DROP CONSTRAINT "outputs_group_id_fkey";

-- DropTable
DROP TABLE "inputs";

-- DropTable
DROP TABLE "outputs";
