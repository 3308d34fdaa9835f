// Preloaded into a measured child process (`node -r memory-probe.js ...`, with an IPC channel): on
// `{ type: 'memory' }` it runs a full garbage collection and answers process.memoryUsage(), so that the
// heap figures compare live objects, not garbage. When the bench goes away the child is stopped with
// SIGTERM (its own graceful stop), so no measured process outlives the run. `{ type: 'snapshot', file }`
// writes a heap snapshot there (for BENCH_HEAP_SNAPSHOT_DIR).
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

if (process.send) {
  process.on('message', (message: { type?: string; seq?: number; file?: string }) => {
    if (message.type === 'snapshot') {
      process.send?.({ type: 'snapshot', seq: message.seq, file: writeHeapSnapshot(message.file) });
      return;
    }
    if (message.type !== 'memory') return;
    gc();
    gc();
    process.send?.({ type: 'memory', seq: message.seq, usage: process.memoryUsage() });
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
