-- Telemetry storage (written by hand: Prisma cannot declare partitioned tables). The README's
-- "Telemetry storage" section explains the design, and api/fleet/telemetry/partitions.ts creates the
-- daily partitions ahead of time and drops the expired ones (no semicolons in comments: the migration
-- engine splits statements on them).

-- The newest sample of each agent: host gauges, rates, components (totals and rates) and the
-- open history bucket. One row per agent, updated in place by every telemetry flush.
CREATE TABLE "telemetry_latest" (
    "agent_id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "sampled_at" TIMESTAMPTZ(3) NOT NULL,
    "vector_uptime_seconds" DOUBLE PRECISION,
    "vector_reloads" BIGINT,
    "cpu_percent" DOUBLE PRECISION,
    "load1" DOUBLE PRECISION,
    "memory_used_bytes" BIGINT,
    "memory_available_bytes" BIGINT,
    "disk_used_bytes" BIGINT,
    "disk_total_bytes" BIGINT,
    "network_in_rate" DOUBLE PRECISION,
    "network_out_rate" DOUBLE PRECISION,
    "agent_rss_bytes" BIGINT,
    "agent_cpu_percent" DOUBLE PRECISION,
    "events_in_rate" DOUBLE PRECISION,
    "events_out_rate" DOUBLE PRECISION,
    "errors_rate" DOUBLE PRECISION,
    "discarded_rate" DOUBLE PRECISION,
    "counters" JSONB NOT NULL DEFAULT '{}',
    "components" JSONB NOT NULL DEFAULT '[]',
    "logs" JSONB NOT NULL DEFAULT '[]',
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "bucket" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "telemetry_latest_pkey" PRIMARY KEY ("agent_id")
);
CREATE INDEX "telemetry_latest_group_id_idx" ON "telemetry_latest"("group_id");
ALTER TABLE "telemetry_latest" ADD CONSTRAINT "telemetry_latest_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Per group × component × minute: events and bytes in/out, errors and discarded events summed over
-- the group's agents (each heartbeat's increase added once). Partitioned by day.
CREATE TABLE "telemetry_component_minutes" (
    "minute" TIMESTAMPTZ(3) NOT NULL,
    "group_id" UUID NOT NULL,
    "component_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "events_in" BIGINT NOT NULL,
    "events_out" BIGINT NOT NULL,
    "bytes_in" BIGINT NOT NULL,
    "bytes_out" BIGINT NOT NULL,
    "errors" BIGINT NOT NULL,
    "discarded" BIGINT NOT NULL,

    CONSTRAINT "telemetry_component_minutes_pkey" PRIMARY KEY ("group_id", "minute", "component_id")
) PARTITION BY RANGE ("minute");

-- Per agent × 5 minutes: averaged and last gauges, summed counters, per component sums. Written once
-- per bucket when the agent's next sample opens a new one. Partitioned by day.
CREATE TABLE "telemetry_agent_buckets" (
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "agent_id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "samples" INTEGER NOT NULL,
    "cpu_percent" DOUBLE PRECISION,
    "memory_used_bytes" BIGINT,
    "memory_available_bytes" BIGINT,
    "disk_used_bytes" BIGINT,
    "disk_total_bytes" BIGINT,
    "events_in" BIGINT NOT NULL,
    "events_out" BIGINT NOT NULL,
    "errors" BIGINT NOT NULL,
    "discarded" BIGINT NOT NULL,
    "components" JSONB NOT NULL,

    CONSTRAINT "telemetry_agent_buckets_pkey" PRIMARY KEY ("agent_id", "bucket")
) PARTITION BY RANGE ("bucket");
