-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "config_drifted_at" TIMESTAMPTZ(3),
ADD COLUMN     "next_token_hash" TEXT,
ADD COLUMN     "running_config_sha256" TEXT,
ADD COLUMN     "token_issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "token_rotation_requested_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "groups" ADD COLUMN     "self_heal" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE UNIQUE INDEX "agents_next_token_hash_key" ON "agents"("next_token_hash");
