-- CreateEnum
CREATE TYPE "RolloutKind" AS ENUM ('config', 'upgrade');

-- CreateEnum
CREATE TYPE "RolloutState" AS ENUM ('pending', 'running', 'soaking', 'paused', 'halted', 'reverted', 'done', 'cancelled', 'superseded');

-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "applied_at" TIMESTAMPTZ(3),
ADD COLUMN     "delivered_at" TIMESTAMPTZ(3),
ADD COLUMN     "delivered_config_version" INTEGER;

-- AlterTable
ALTER TABLE "groups" ADD COLUMN     "latest_version" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "rollout_plan" JSONB;

-- CreateTable
CREATE TABLE "agent_config_pins" (
    "agent_id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "rollout_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_config_pins_pkey" PRIMARY KEY ("agent_id")
);

-- CreateTable
CREATE TABLE "rollouts" (
    "id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "kind" "RolloutKind" NOT NULL,
    "version" INTEGER,
    "previous_version" INTEGER,
    "release" TEXT,
    "plan" JSONB NOT NULL,
    "state" "RolloutState" NOT NULL DEFAULT 'pending',
    "stage" INTEGER NOT NULL DEFAULT 0,
    "stage_started_at" TIMESTAMPTZ(3),
    "soak_ends_at" TIMESTAMPTZ(3),
    "reason" TEXT NOT NULL DEFAULT '',
    "gates" JSONB,
    "superseded_by_id" UUID,
    "created_by_id" TEXT,
    "created_by" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rollout_agents" (
    "rollout_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "stage" INTEGER NOT NULL,
    "assigned_at" TIMESTAMPTZ(3),
    "reverted_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollout_agents_pkey" PRIMARY KEY ("rollout_id","agent_id")
);

-- CreateIndex
CREATE INDEX "agent_config_pins_group_id_idx" ON "agent_config_pins"("group_id");

-- CreateIndex
CREATE INDEX "agent_config_pins_rollout_id_idx" ON "agent_config_pins"("rollout_id");

-- CreateIndex
CREATE INDEX "rollouts_group_id_created_at_idx" ON "rollouts"("group_id", "created_at");

-- CreateIndex
CREATE INDEX "rollouts_state_idx" ON "rollouts"("state");

-- CreateIndex
CREATE INDEX "rollout_agents_rollout_id_stage_idx" ON "rollout_agents"("rollout_id", "stage");

-- CreateIndex
CREATE INDEX "rollout_agents_agent_id_idx" ON "rollout_agents"("agent_id");

-- AddForeignKey
ALTER TABLE "agent_config_pins" ADD CONSTRAINT "agent_config_pins_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_config_pins" ADD CONSTRAINT "agent_config_pins_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_agents" ADD CONSTRAINT "rollout_agents_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollout_agents" ADD CONSTRAINT "rollout_agents_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing groups: every published version is live, so the newest equals the delivered one
UPDATE "groups" SET "latest_version" = "config_version";

-- Existing agents: the applied version was last confirmed by their last heartbeat
UPDATE "agents" SET "applied_at" = "last_heartbeat_at" WHERE "applied_config_version" > 0;
