-- AlterTable
ALTER TABLE "groups" ADD COLUMN     "allowed_components" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "read_path_prefixes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "write_path_prefixes" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "secrets" (
    "id" UUID NOT NULL,
    "group_id" UUID,
    "scope" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "created_by" TEXT NOT NULL DEFAULT '',
    "updated_by" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "secrets_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "secrets_group_id_idx" ON "secrets"("group_id");

-- CreateIndex
CREATE UNIQUE INDEX "secrets_scope_name_key" ON "secrets"("scope", "name");

-- AddForeignKey
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Groups that already run a guarded component (api/fleet/policy.ts: exec sources, file sinks) keep
-- them: the upgrade records that consent instead of breaking the next edit of a running pipeline.
UPDATE "groups" SET "allowed_components" = array_append("allowed_components", 'source:exec')
WHERE "id" IN (SELECT "group_id" FROM "inputs" WHERE "type" = 'exec');
UPDATE "groups" SET "allowed_components" = array_append("allowed_components", 'sink:file')
WHERE "id" IN (SELECT "group_id" FROM "outputs" WHERE "type" = 'file');
