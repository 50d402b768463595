/**
 * Scheduled backups (FLOTILLA_BACKUP_DIR): every interval, a whole-database backup named by its time
 * into the folder, then the oldest scheduled backups beyond FLOTILLA_BACKUP_KEEP are deleted. The
 * server that holds a PGlite database is the only process that can back it up, so this is how
 * PGlite installations get backups while running. With several PostgreSQL replicas, set the folder
 * on one of them (each replica that has it takes its own backups).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../db.ts';
import type { Clock } from '../fleet/context.ts';
import { pruneScheduledBackups, scheduledBackupName } from '../backups.ts';
import { createPeriodicJob, type Job } from './sweeper.ts';

export interface BackupSchedule {
  dir: string;
  intervalMs: number;
  keep: number;
}

/** Create the backup job; the first backup is taken one interval after start(). */
export function createBackupJob(db: Db, schedule: BackupSchedule, clock: Clock, log: Logger): Job {
  return createPeriodicJob(schedule.intervalMs, async () => {
    const file = path.join(schedule.dir, scheduledBackupName(db.kind, clock()));
    try {
      await fs.mkdir(schedule.dir, { recursive: true, mode: 0o700 });
      await db.backup(file);
      const pruned = await pruneScheduledBackups(schedule.dir, schedule.keep);
      log.info({ file, pruned }, 'backup taken');
    } catch (error) {
      log.error({ err: error, file }, 'scheduled backup failed');
    }
  });
}
