// The presence watch: looks every so often, tells only changes, stops looking when nobody listens.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { PresenceWatch, watchPath } from '../../src/drivers/presence.js';
import { FakeClock, systemClock } from '../../src/system/clock.js';
import { waitFor } from '../helpers/pty.js';

t.test('a device that leaves and comes back is told twice, and nothing is told while it stays', async (t) => {
  const clock = new FakeClock();
  let present = true;
  let checks = 0;
  const watch = new PresenceWatch({
    check: async () => {
      checks++;
      return present;
    },
    clock,
    everyMs: 250,
  });
  const told: boolean[] = [];
  const stop = watch.subscribe((p) => told.push(p));
  await clock.advanceAsync(1000);
  t.same(told, [], 'the state at the first look is the baseline, not news');
  present = false;
  await clock.advanceAsync(250);
  t.same(told, [false], 'gone, within one period');
  await clock.advanceAsync(2000);
  t.same(told, [false], 'said once');
  present = true;
  await clock.advanceAsync(250);
  t.same(told, [false, true], 'back');

  stop();
  const before = checks;
  await clock.advanceAsync(10_000);
  t.equal(checks, before, 'no looking once nobody listens');
  t.equal(clock.pending, 0, 'no timer left');
});

t.test('a check that fails counts as absent, and two listeners share one look', async (t) => {
  const clock = new FakeClock();
  let fail = false;
  let checks = 0;
  const watch = new PresenceWatch({
    check: async () => {
      checks++;
      if (fail) throw new Error('enumeration failed');
      return true;
    },
    clock,
    everyMs: 1000,
  });
  const a: boolean[] = [];
  const b: boolean[] = [];
  const stopA = watch.subscribe((p) => a.push(p));
  const stopB = watch.subscribe((p) => b.push(p));
  await clock.advanceAsync(5000);
  t.equal(checks, 6, 'one look a second for both listeners');
  fail = true;
  await clock.advanceAsync(1000);
  t.same([a, b], [[false], [false]], 'both told');
  stopA();
  stopA();
  fail = false;
  await clock.advanceAsync(1000);
  t.same([a, b], [[false], [false, true]], 'the one left is still told');
  stopB();
  t.equal(clock.pending, 0);
});

t.test('unsubscribing while a look is in flight tells nobody', async (t) => {
  const clock = new FakeClock();
  let answer: ((present: boolean) => void) | undefined;
  const watch = new PresenceWatch({
    check: () => new Promise<boolean>((resolve) => (answer = resolve)),
    clock,
    everyMs: 100,
  });
  const told: boolean[] = [];
  const stop = watch.subscribe((p) => told.push(p));
  answer?.(true);
  await clock.advanceAsync(100);
  stop();
  answer?.(false);
  await clock.advanceAsync(1000);
  t.same(told, []);
  t.equal(clock.pending, 0, 'and schedules nothing');
});

t.test('a device path is watched on the real file system', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'store-gateway-presence-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'usb-FTDI_FT232R_USB_UART_A10K1JQ3-if00-port0');
  const told: boolean[] = [];
  const stop = watchPath(path, systemClock, 10).subscribe((p) => told.push(p));
  t.teardown(stop);
  await new Promise((r) => setTimeout(r, 30));
  await writeFile(path, '');
  await waitFor(() => told.length === 1, 'the path to be seen');
  await rm(path);
  await waitFor(() => told.length === 2, 'the path to be missed');
  t.same(told, [true, false]);
});

t.test('a listener that throws neither silences the others nor ends the watching', async (t) => {
  const clock = new FakeClock();
  let present = true;
  const watch = new PresenceWatch({ check: async () => present, clock, everyMs: 100 });
  const told: boolean[] = [];
  const stopBad = watch.subscribe(() => {
    throw new Error('listener bug');
  });
  const stop = watch.subscribe((p) => told.push(p));
  await clock.advanceAsync(100);
  present = false;
  await clock.advanceAsync(100);
  present = true;
  await clock.advanceAsync(100);
  t.same(told, [false, true]);
  stop();
  stopBad();
});
