/**
 * Entry of a simulator worker process (forked by fleet.ts): runs one shard and streams its
 * snapshots to the parent over IPC until told to finish.
 */
import { Shard, type ShardFinal, type ShardSnapshot } from './shard.ts';
import type { FleetOptions, Tuning } from './options.ts';

export type ToWorker =
  | { type: 'start'; options: FleetOptions; first: number; count: number }
  | { type: 'retune'; change: Partial<Tuning> }
  | { type: 'finish' };

export type FromWorker =
  | { type: 'snapshot'; snapshot: ShardSnapshot }
  | { type: 'final'; final: ShardFinal }
  | { type: 'failed'; message: string };

export const SNAPSHOT_EVERY_MS = 250;

const send = (message: FromWorker, then?: () => void) => process.send?.(message, undefined, {}, then);
let shard: Shard | undefined;
let ticker: NodeJS.Timeout | undefined;

process.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'start') {
      shard = new Shard(message.options, message.first, message.count);
      shard.start();
      const current = shard;
      ticker = setInterval(() => send({ type: 'snapshot', snapshot: current.snapshot() }), SNAPSHOT_EVERY_MS);
    } else if (message.type === 'retune') shard?.retune(message.change);
    else if (message.type === 'finish' && shard) {
      clearInterval(ticker);
      void shard.finish().then(
        (final) => send({ type: 'final', final }, () => process.disconnect()),
        (error: unknown) => send({ type: 'failed', message: String(error) }),
      );
    }
  } catch (error) {
    send({ type: 'failed', message: String(error) });
  }
});
// The parent went away: nothing left to report to.
process.on('disconnect', () => process.exit(0));
