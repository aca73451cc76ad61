import t from 'tap';
import { FakeClock, flushPromises, systemClock } from '../../src/system/clock.js';

t.test('a fake clock fires timers in order of due time, each at its own time', (t) => {
  const clock = new FakeClock(1000);
  const fired: [string, number][] = [];
  clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
  clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
  clock.setTimeout(() => fired.push(['c', clock.now()]), 20);
  const gone = clock.setTimeout(() => fired.push(['never', clock.now()]), 5);
  clock.clearTimeout(gone);
  clock.advance(15);
  t.same(fired, [['a', 1010]]);
  t.equal(clock.now(), 1015);
  clock.advance(100);
  t.same(fired, [
    ['a', 1010],
    ['b', 1020],
    ['c', 1020],
  ]);
  t.equal(clock.pending, 0);
  t.end();
});

t.test('timers set while time advances fire in the same advance when they fall due', (t) => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  clock.setTimeout(() => {
    fired.push(clock.now());
    clock.setTimeout(() => fired.push(clock.now()), 10);
    clock.setTimeout(() => fired.push(clock.now()), -5);
  }, 10);
  clock.advance(25);
  t.same(fired, [10, 10, 20]);
  t.end();
});

t.test('an interval repeats until cleared; a zero period does not spin', (t) => {
  const clock = new FakeClock(0);
  const ticks: number[] = [];
  const every = clock.setInterval(() => ticks.push(clock.now()), 100);
  clock.advance(350);
  t.same(ticks, [100, 200, 300]);
  clock.clearInterval(every);
  clock.advance(1000);
  t.same(ticks, [100, 200, 300]);
  let spins = 0;
  const fast = clock.setInterval(() => spins++, 0);
  clock.advance(10);
  clock.clearInterval(fast);
  t.equal(spins, 10, 'one per millisecond at most');
  t.equal(clock.now(), 1360);
  t.end();
});

t.test('advanceAsync lets promises settle between timers', async (t) => {
  const clock = new FakeClock(0);
  const log: string[] = [];
  clock.setTimeout(() => {
    log.push('first');
    Promise.resolve().then(() => log.push('its promise'));
  }, 10);
  clock.setTimeout(() => log.push('second'), 10);
  await clock.advanceAsync(10);
  t.same(log, ['first', 'its promise', 'second']);
  await flushPromises();
});

t.test('the system clock is the wall clock with real timers', async (t) => {
  t.ok(Math.abs(systemClock.now() - Date.now()) < 50);
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
  const never = systemClock.setTimeout(() => t.fail('cleared'), 1);
  systemClock.clearTimeout(never);
  let n = 0;
  await new Promise<void>((resolve) => {
    const every = systemClock.setInterval(() => {
      if (++n < 2) return;
      systemClock.clearInterval(every);
      resolve();
    }, 1);
  });
  t.equal(n, 2);
});
