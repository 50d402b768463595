-- AlterTable
ALTER TABLE "agents" ADD COLUMN     "enrolment_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "agents_enrolment_key_key" ON "agents"("enrolment_key");
