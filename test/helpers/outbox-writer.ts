// Emits events as fast as it can and prints each committed seq, until it is killed.
import { Outbox } from '../../src/outbox/outbox.js';
import { silentLogger } from '../../src/system/log.js';

const path = process.argv[2] as string;
const outbox = Outbox.open({
  path,
  hub: { hubId: 'hub-t', storeId: 'store-t' },
  maxEvents: 1_000_000,
  commitIntervalMs: 1,
  log: silentLogger(),
});
const loop = async () => {
  for (;;) {
    const batch = Array.from({ length: 50 }, () => outbox.emit('hub.stopping', { reason: 'crash test' }));
    const done = await Promise.all(batch);
    process.stdout.write(`${done[done.length - 1]?.seq}\n`);
  }
};
loop();
