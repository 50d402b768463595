/** The accept queue of a listening TCP port, as the kernel reports it. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * The backlog of the socket listening on `port` (iproute2's ss shows it as a listening socket's
 * Send-Q); throws when nothing listens there.
 */
export async function acceptQueueLength(port: number | string): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-ltnH', `sport = :${port}`]);
  const [state, , backlog] = stdout.trim().split(/\s+/);
  if (state !== 'LISTEN') throw new Error(`nothing listens on port ${port}: ${stdout}`);
  return Number(backlog);
}
