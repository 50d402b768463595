-- CreateTable
CREATE TABLE "fleet_settings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "heartbeat_interval_seconds" INTEGER,
    "poll_interval_seconds" INTEGER,
    "offline_after_seconds" INTEGER,
    "action_deadline_seconds" INTEGER,
    "retain_actions_days" INTEGER,
    "retain_audit_days" INTEGER,
    "retain_revoked_agents_days" INTEGER,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "fleet_settings_pkey" PRIMARY KEY ("id")
);
