-- The pipeline-versions migration named the remap of an input with routing overrides
-- `<input name>_routing`. Input names had up to 63 characters, so that id could reach 71, longer
-- than a component id may be (api/fleet/pipeline/document.ts: 1 to 63 characters), and every draft
-- edit of such a group was refused. Each id longer than 63 characters becomes its first 54
-- characters, "_" and the first 8 hex digits of the MD5 of the whole id (63 characters, stable,
-- distinct for distinct ids), in every stored document, and so do the inputs naming it.
-- The rendered_configs rows stay as they are: agents see no change until the next publish.
CREATE FUNCTION pg_temp.short_id(id TEXT) RETURNS TEXT LANGUAGE SQL IMMUTABLE AS $$
  SELECT CASE WHEN length(id) > 63 THEN left(id, 54) || '_' || left(md5(id), 8) ELSE id END
$$;

CREATE FUNCTION pg_temp.short_reference(reference TEXT) RETURNS TEXT LANGUAGE SQL IMMUTABLE AS $$
  SELECT CASE
    WHEN position('*' IN reference) > 0 OR length(split_part(reference, '.', 1)) <= 63 THEN reference
    ELSE pg_temp.short_id(split_part(reference, '.', 1))
      || substr(reference, length(split_part(reference, '.', 1)) + 1)
  END
$$;

CREATE FUNCTION pg_temp.short_ids(document JSONB) RETURNS JSONB LANGUAGE SQL IMMUTABLE AS $$
  SELECT document || jsonb_build_object('components', COALESCE(jsonb_agg(
    c.component || jsonb_build_object(
      'id', pg_temp.short_id(c.component->>'id'),
      'inputs', COALESCE((
        SELECT jsonb_agg(pg_temp.short_reference(i.reference) ORDER BY i.n)
        FROM jsonb_array_elements_text(c.component->'inputs') WITH ORDINALITY AS i(reference, n)
      ), '[]'::jsonb))
    ORDER BY c.n), '[]'::jsonb))
  FROM jsonb_array_elements(document->'components') WITH ORDINALITY AS c(component, n)
$$;

CREATE FUNCTION pg_temp.has_long_id(document JSONB) RETURNS BOOLEAN LANGUAGE SQL IMMUTABLE AS $$
  SELECT jsonb_typeof(document->'components') = 'array' AND EXISTS (
    SELECT 1 FROM jsonb_array_elements(document->'components') AS c(component)
    WHERE length(c.component->>'id') > 63
  )
$$;

UPDATE "pipeline_versions" SET "document" = pg_temp.short_ids("document")
WHERE pg_temp.has_long_id("document");

UPDATE "pipeline_drafts" SET "document" = pg_temp.short_ids("document")
WHERE "document" IS NOT NULL AND pg_temp.has_long_id("document");

-- The helpers above are session-local: drop them explicitly (a runner may keep its session).
DROP FUNCTION pg_temp.has_long_id(JSONB);
DROP FUNCTION pg_temp.short_ids(JSONB);
DROP FUNCTION pg_temp.short_reference(TEXT);
DROP FUNCTION pg_temp.short_id(TEXT);
