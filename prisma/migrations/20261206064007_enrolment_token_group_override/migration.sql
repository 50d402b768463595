-- AlterTable
ALTER TABLE "enrolment_tokens" ADD COLUMN     "allow_group_override" BOOLEAN NOT NULL DEFAULT false;
