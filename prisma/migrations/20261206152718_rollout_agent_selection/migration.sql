-- AlterTable
ALTER TABLE "rollouts" ADD COLUMN     "selection" JSONB,
ALTER COLUMN "group_id" DROP NOT NULL;
