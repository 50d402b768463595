-- AlterTable
ALTER TABLE "fleet_settings" ADD COLUMN     "retain_diagnostics_days" INTEGER;
