/**
 * The statements of store.ts, each one statement over arrays (unnest): read agents' latest rows,
 * write latest rows with a compare-and-set on `sampled_at`, insert closed history buckets.
 */

/** An agent's latest row, as much as folding the next sample into it needs. $1: agent ids. */
export const STATE_SQL = `
SELECT agent_id, sampled_at, component_set, network_in_bytes, network_out_bytes, agent_cpu_seconds,
  vector_uptime_seconds, totals, bucket_start, bucket, logs
FROM telemetry_latest WHERE agent_id = ANY($1::uuid[]) ORDER BY agent_id`;

/**
 * Insert or update latest rows; an existing row is only updated when its `sampled_at` is still the
 * one the sample was folded against ($4, kept as previous_sampled_at, null: no row), so a row another
 * replica advanced is left alone (and not returned). Logs ($28) are only rewritten when given. Returns the agents written.
 */
export const LATEST_SQL = `
INSERT INTO telemetry_latest AS l (agent_id, group_id, sampled_at, previous_sampled_at, vector_uptime_seconds, vector_reloads,
  cpu_percent, load1, memory_used_bytes, memory_available_bytes, disk_used_bytes, disk_total_bytes,
  network_in_rate, network_out_rate, agent_rss_bytes, agent_cpu_percent, events_in_rate, events_out_rate,
  errors_rate, discarded_rate, network_in_bytes, network_out_bytes, agent_cpu_seconds, component_set, totals,
  rates, buffers, logs, bucket_start, bucket)
SELECT v.agent_id, v.group_id, v.sampled_at::timestamptz, v.expected::timestamptz, v.uptime, v.reloads, v.cpu, v.load1, v.mem_used,
  v.mem_available, v.disk_used, v.disk_total, v.net_in, v.net_out, v.rss, v.agent_cpu, v.events_in, v.events_out,
  v.errors, v.discarded, v.net_in_bytes, v.net_out_bytes, v.agent_cpu_seconds, v.component_set,
  v.totals::float8[], v.rates::real[], v.buffers::real[], coalesce(v.logs::jsonb, '[]'::jsonb),
  v.bucket_start::timestamptz, v.bucket::float8[]
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::float8[], $6::bigint[], $7::float8[],
    $8::float8[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::float8[], $14::float8[],
    $15::bigint[], $16::float8[], $17::float8[], $18::float8[], $19::float8[], $20::float8[], $21::float8[],
    $22::float8[], $23::float8[], $24::int[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[],
    $30::text[])
  AS v(agent_id, group_id, sampled_at, expected, uptime, reloads, cpu, load1, mem_used, mem_available, disk_used,
    disk_total, net_in, net_out, rss, agent_cpu, events_in, events_out, errors, discarded, net_in_bytes,
    net_out_bytes, agent_cpu_seconds, component_set, totals, rates, buffers, logs, bucket_start, bucket)
JOIN agents a ON a.id = v.agent_id
ON CONFLICT (agent_id) DO UPDATE SET
  group_id = excluded.group_id, sampled_at = excluded.sampled_at,
  vector_uptime_seconds = excluded.vector_uptime_seconds, vector_reloads = excluded.vector_reloads,
  cpu_percent = excluded.cpu_percent, load1 = excluded.load1, memory_used_bytes = excluded.memory_used_bytes,
  memory_available_bytes = excluded.memory_available_bytes, disk_used_bytes = excluded.disk_used_bytes,
  disk_total_bytes = excluded.disk_total_bytes, network_in_rate = excluded.network_in_rate,
  network_out_rate = excluded.network_out_rate, agent_rss_bytes = excluded.agent_rss_bytes,
  agent_cpu_percent = excluded.agent_cpu_percent, events_in_rate = excluded.events_in_rate,
  events_out_rate = excluded.events_out_rate, errors_rate = excluded.errors_rate,
  discarded_rate = excluded.discarded_rate, network_in_bytes = excluded.network_in_bytes,
  network_out_bytes = excluded.network_out_bytes, agent_cpu_seconds = excluded.agent_cpu_seconds,
  component_set = excluded.component_set, totals = excluded.totals, rates = excluded.rates,
  buffers = excluded.buffers,
  logs = CASE WHEN excluded.logs = '[]'::jsonb THEN l.logs ELSE excluded.logs END,
  bucket_start = excluded.bucket_start, bucket = excluded.bucket,
  previous_sampled_at = excluded.previous_sampled_at
WHERE l.sampled_at IS NOT DISTINCT FROM excluded.previous_sampled_at
RETURNING agent_id`;

/** Closed 5-minute buckets of agents; a bucket already written stays. */
export const BUCKETS_SQL = `
INSERT INTO telemetry_agent_buckets (bucket, agent_id, samples, cpu_percent, memory_used_bytes,
  memory_available_bytes, disk_used_bytes, disk_total_bytes, events_in, events_out, errors, discarded,
  component_set, components)
SELECT v.bucket::timestamptz, v.agent_id, v.samples, v.cpu, v.mem_used, v.mem_available, v.disk_used,
  v.disk_total, v.events_in, v.events_out, v.errors, v.discarded, v.component_set, v.components::real[]
FROM unnest($1::text[], $2::uuid[], $3::int[], $4::float8[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::int[], $14::text[])
  AS v(bucket, agent_id, samples, cpu, mem_used, mem_available, disk_used, disk_total, events_in, events_out,
    errors, discarded, component_set, components)
ON CONFLICT (agent_id, bucket) DO NOTHING`;
