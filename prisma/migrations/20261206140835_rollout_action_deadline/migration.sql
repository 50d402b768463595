-- AlterTable
ALTER TABLE "rollouts" ADD COLUMN     "action_deadline_seconds" INTEGER;
