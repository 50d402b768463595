-- AlterEnum
ALTER TYPE "ActionStatus" ADD VALUE 'delivered';

-- AlterTable
ALTER TABLE "actions" ADD COLUMN     "delivered_at" TIMESTAMPTZ(3);
