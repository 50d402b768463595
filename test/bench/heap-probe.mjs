/**
 * Preloaded into a benchmark's server process (NODE_OPTIONS=--import …), never into production:
 * on SIGUSR2 it runs two full garbage collections and appends `heapUsed rss` (bytes) as one line to
 * BENCH_HEAP_FILE, so memory per connection is measured on live objects rather than on whatever
 * garbage the heap holds at that moment. See memory.ts.
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const file = process.env.BENCH_HEAP_FILE;
if (file)
  process.on('SIGUSR2', () => {
    gc();
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    fs.appendFileSync(file, `${heapUsed} ${rss}\n`);
  });
