-- CreateEnum
CREATE TYPE "ActionOfflinePolicy" AS ENUM ('deliver', 'skip');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ActionStatus" ADD VALUE 'waiting';
ALTER TYPE "ActionStatus" ADD VALUE 'skipped';

-- AlterTable
ALTER TABLE "actions" ADD COLUMN     "offline_policy" "ActionOfflinePolicy" NOT NULL DEFAULT 'deliver';

-- CreateTable
CREATE TABLE "agent_diagnostics" (
    "id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "action_id" UUID,
    "size_bytes" INTEGER NOT NULL,
    "content" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_diagnostics_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agent_diagnostics_action_id_key" ON "agent_diagnostics"("action_id");

-- CreateIndex
CREATE INDEX "agent_diagnostics_agent_id_created_at_idx" ON "agent_diagnostics"("agent_id", "created_at");

-- CreateIndex
CREATE INDEX "agent_diagnostics_created_at_idx" ON "agent_diagnostics"("created_at");

-- AddForeignKey
ALTER TABLE "agent_diagnostics" ADD CONSTRAINT "agent_diagnostics_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "agent_diagnostics" ADD CONSTRAINT "agent_diagnostics_action_id_fkey" FOREIGN KEY ("action_id") REFERENCES "actions"("id") ON DELETE SET NULL ON UPDATE CASCADE;
