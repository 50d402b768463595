-- Compact telemetry storage (README "Telemetry storage"): the latest row and the history buckets keep
-- components as flat numeric arrays that follow a shared component set (ids, kinds, types stored once)
-- instead of JSON objects repeating every id and counter name. Telemetry is a cache of what agents
-- report every 30 s, so the old rows are emptied rather than converted (no semicolons in comments: the
-- migration engine splits statements on them).
TRUNCATE "telemetry_latest", "telemetry_agent_buckets";

-- AlterTable
ALTER TABLE "telemetry_agent_buckets" DROP COLUMN "group_id",
ADD COLUMN     "component_set" INTEGER NOT NULL DEFAULT 0,
ALTER COLUMN "cpu_percent" SET DATA TYPE REAL,
DROP COLUMN "components",
ADD COLUMN     "components" REAL[];

-- AlterTable
ALTER TABLE "telemetry_latest" DROP COLUMN "components",
DROP COLUMN "counters",
ADD COLUMN     "agent_cpu_seconds" DOUBLE PRECISION,
ADD COLUMN     "buffers" REAL[],
ADD COLUMN     "component_set" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "network_in_bytes" DOUBLE PRECISION,
ADD COLUMN     "network_out_bytes" DOUBLE PRECISION,
ADD COLUMN     "previous_sampled_at" TIMESTAMPTZ(3),
ADD COLUMN     "rates" REAL[],
ADD COLUMN     "totals" DOUBLE PRECISION[],
DROP COLUMN "bucket",
ADD COLUMN     "bucket" DOUBLE PRECISION[];

-- Room on each page for the next version of a row, so the update of every heartbeat stays on its page
-- and skips the indexes (a HOT update).
ALTER TABLE "telemetry_latest" SET (fillfactor = 50);

-- CreateTable
CREATE TABLE "telemetry_component_sets" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "ids" TEXT[],
    "kinds" TEXT[],
    "types" TEXT[],

    CONSTRAINT "telemetry_component_sets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "telemetry_component_sets_key_key" ON "telemetry_component_sets"("key");
