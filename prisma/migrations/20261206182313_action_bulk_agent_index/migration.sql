-- DropIndex
DROP INDEX "actions_bulk_id_idx";

-- CreateIndex
CREATE INDEX "actions_bulk_id_agent_id_idx" ON "actions"("bulk_id", "agent_id");
