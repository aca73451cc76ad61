import t from 'tap';
import { defaultBackoff, retryDelay } from '../../src/system/backoff.js';

t.test('retry delays double from half a second to thirty, jittered into their upper half', (t) => {
  const lowest = (n: number) => retryDelay(n, defaultBackoff, () => 0);
  const highest = (n: number) => retryDelay(n, defaultBackoff, () => 1);
  t.same([1, 2, 3, 4, 5, 6, 7, 8].map(highest), [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  t.same([1, 2, 3].map(lowest), [250, 500, 1000]);
  t.equal(highest(0), 500, 'no failure yet counts as the first');
  t.equal(highest(10_000), 30_000, 'a device dead for days still waits 30 s, no overflow');
  for (let n = 1; n < 12; n++)
    t.ok(
      lowest(n + 1) >= Math.min(highest(n), 15_000),
      `retry ${n + 1} waits at least as long as retry ${n} could`,
    );
  t.end();
});
