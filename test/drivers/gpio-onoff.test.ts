// The onoff adapter against a fake onoff: GPIO hardware cannot exist on a build machine. The fake keeps
// what the kernel would: the wire level (active_low applied on value reads and writes, not on the
// "high"/"low" direction), every level the wire took, and whether the line is still exported.
import { join } from 'node:path';
import type { Direction, Edge, Options } from 'onoff';
import t from 'tap';
import {
  explainGpioInaccessible,
  type OnoffChipOptions,
  type OnoffModule,
  openOnoffChip,
} from '../../src/drivers/gpio/onoff.js';
import type { Level } from '../../src/drivers/gpio/port.js';
import { type FakeGpio, fakeBoard, pi4Sysfs as pi4 } from '../helpers/fake-onoff.js';
import type { TestContext } from '../helpers/tap-types.js';

const turnstileLines = { unlock: 17, green: 27, beamOuter: 5, beamInner: 6, fireAlarm: 13 };

async function openChip(
  t: TestContext,
  board: ReturnType<typeof fakeBoard>,
  extra: Partial<OnoffChipOptions> = {},
) {
  const chip = await openOnoffChip({
    root: t.testdir(pi4),
    lines: turnstileLines,
    gateId: 'entry-1',
    loadOnoff: async () => board.module,
    ...extra,
  });
  // Lines are claimed process-wide; a test that fails half-way must not leave them to the next one.
  t.teardown(() => {
    try {
      chip.close();
    } catch {}
  });
  return chip;
}

t.test('lines are exported under their sysfs numbers: offset on the chip plus its base', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  t.same(chip.kernelChip, { base: 512, label: 'pinctrl-bcm2711', ngpio: 58, chosenBy: 'pinctrl' });
  chip.open({ name: 'unlock', direction: 'out' });
  chip.open({ name: 'beamOuter', direction: 'in' });
  t.same([...board.gpios.keys()], [529, 517]);
});

t.test('an active-low relay output starts at its safe level on open, without a glitch', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true, safeLevel: 0 });
  const gpio = board.gpio(529);
  t.equal(gpio.direction, 'high', 'logical 0 on an active-low line is a high wire, set with the direction');
  t.same(gpio.wires, [1, 1], 'the wire never went low: the relay never pulled in');
  t.equal(gpio.options.activeLow, true);
  t.equal(gpio.options.reconfigureDirection, true, 'a line left exported by a crash is still set');
  t.equal(unlock.read(), 0);
  unlock.write(1);
  t.equal(gpio.wire, 0, 'logical 1 pulls the active-low relay in');
});

t.test('outputs start at their safe level whatever its polarity', async (t) => {
  const board = fakeBoard();
  const lines = { unlock: 17, green: 27, red: 22 };
  const chip = await openChip(t, board, { lines });
  const cases = [
    { name: 'unlock', activeLow: true, safeLevel: 1 as Level, direction: 'low', wire: 0 },
    { name: 'green', activeLow: false, safeLevel: 1 as Level, direction: 'high', wire: 1 },
    { name: 'red', activeLow: false, safeLevel: undefined, direction: 'low', wire: 0 },
  ] as const;
  for (const { name, activeLow, safeLevel, direction, wire } of cases) {
    const line = chip.open({ name, direction: 'out', activeLow, safeLevel });
    const gpio = board.gpio(512 + lines[name]);
    t.equal(gpio.direction, direction, `${name}: direction`);
    t.same(gpio.wires, [wire, wire], `${name}: the wire holds ${wire} from the start`);
    t.equal(line.read(), safeLevel ?? 0, `${name}: reads its safe level`);
  }
});

t.test(
  'closing the chip writes every safe level, releases every line, and leaves the outputs driven',
  async (t) => {
    const board = fakeBoard();
    const chip = await openChip(t, board);
    const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true });
    const green = chip.open({ name: 'green', direction: 'out', safeLevel: 1 });
    const beam = chip.open({ name: 'beamOuter', direction: 'in' });
    beam.watch(() => {});
    unlock.write(1);
    green.write(0);
    chip.close();
    t.equal(board.gpio(529).wire, 1, 'the active-low relay released (logical 0, wire high)');
    t.same(board.gpio(539).wires, [1, 1, 0, 1], 'the green lamp back on, its safe level');
    t.notOk(board.gpio(517).exported, 'the input unexported');
    t.ok(
      board.gpio(529).exported && board.gpio(539).exported,
      'the outputs still exported: the relay holds its safe level',
    );
    t.same(board.gpio(517).watchers, [], 'no watcher left');
    t.throws(() => unlock.write(1), /GPIO line "unlock" is closed/);
    t.throws(() => beam.read(), /closed/);
    t.throws(() => beam.watch(() => {}), /closed/);
    chip.close();
    chip.failSafe();
    t.same(board.gpio(539).wires, [1, 1, 0, 1], 'nothing is written after the lines are released');
    const again = chip.open({ name: 'unlock', direction: 'out', activeLow: true });
    t.equal(again.read(), 0, 'a released line can be opened again');
  },
);

t.test('inputs watch both edges, with the debounce and polarity of the profile', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  chip.open({ name: 'beamOuter', direction: 'in', debounceMs: 15 });
  chip.open({ name: 'fireAlarm', direction: 'in', activeLow: true });
  const beam = board.gpio(517);
  t.equal(beam.direction, 'in');
  t.equal(beam.edge, 'both');
  t.equal(beam.options.debounceTimeout, 15);
  t.equal(beam.options.activeLow, false, 'active_low is reset, in case an earlier run left it set');
  t.equal(board.gpio(525).options.debounceTimeout, 0, 'no debounce unless the profile asks');
  t.equal(board.gpio(525).options.activeLow, true);
});

t.test('a watcher hears logical levels, once per change', async (t) => {
  const board = fakeBoard({ 518: 1 });
  const chip = await openChip(t, board);
  const beam = chip.open({ name: 'beamInner', direction: 'in', activeLow: true });
  const gpio = board.gpio(518);
  t.equal(beam.read(), 0, 'an idle pulled-up active-low input reads inactive');
  const seen: Level[] = [];
  const also: Level[] = [];
  const unwatch = beam.watch((level) => seen.push(level));
  beam.watch((level) => also.push(level));
  t.equal(gpio.watchers.length, 1, 'one onoff watcher serves every listener');
  gpio.drive(0);
  t.same(seen, [1], 'wire low reads as logical 1');
  gpio.drive(0);
  t.same(seen, [1], 'a bounce that settles where it was is not a change');
  gpio.drive(1);
  t.same(seen, [1, 0]);
  unwatch();
  unwatch();
  gpio.drive(0);
  t.same(seen, [1, 0], 'an unwatched listener hears nothing more');
  t.same(also, [1, 0, 1], 'the other one still does');
});

t.test(
  'the last listener leaving stops onoff watching; a new one starts from the current level',
  async (t) => {
    const board = fakeBoard();
    const chip = await openChip(t, board);
    const beam = chip.open({ name: 'beamOuter', direction: 'in' });
    const gpio = board.gpio(517);
    beam.watch(() => {})();
    t.same(gpio.watchers, [], 'nobody listens: onoff stops polling');
    gpio.drive(1);
    const seen: Level[] = [];
    beam.watch((level) => seen.push(level));
    gpio.drive(1);
    t.same(seen, [], 'already 1 when the watch began: no change to report');
    gpio.drive(0);
    t.same(seen, [0]);
  },
);

t.test('an error while watching is reported, and the level still arrives', async (t) => {
  const board = fakeBoard();
  const errors: [string, string][] = [];
  const chip = await openChip(t, board, { onError: (error, line) => errors.push([line, error.message]) });
  const alarm = chip.open({ name: 'fireAlarm', direction: 'in' });
  const seen: Level[] = [];
  alarm.watch((level) => seen.push(level));
  board.gpio(525).drive(1, new Error('epoll_wait failed'));
  t.same(seen, [1]);
  t.equal(errors.length, 1);
  t.equal(errors[0]?.[0], 'fireAlarm');
  t.match(
    errors[0]?.[1],
    /watching GPIO line "fireAlarm" of gate "entry-1" .*sysfs gpio525\): epoll_wait failed/,
  );

  const quiet = fakeBoard();
  const other = await openChip(t, quiet, { lines: { fireAlarm: 20 } });
  const levels: Level[] = [];
  other.open({ name: 'fireAlarm', direction: 'in' }).watch((level) => levels.push(level));
  quiet.gpio(532).drive(1, new Error('epoll_wait failed'));
  t.same(levels, [1], 'without onError the error is dropped, not thrown into onoff');
});

t.test('lines refuse what their direction does not allow', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out' });
  const beam = chip.open({ name: 'beamOuter', direction: 'in' });
  t.throws(() => beam.write(1), /GPIO line "beamOuter" is an input; cannot write it/);
  t.throws(() => unlock.watch(() => {}), /GPIO line "unlock" is an output; cannot watch it/);
  t.same(board.gpio(529).watchers, []);
});

t.test('a line is opened once until it is closed', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out' });
  t.throws(
    () => chip.open({ name: 'unlock', direction: 'out' }),
    /GPIO line "unlock" of gate "entry-1" is busy/,
  );
  unlock.close();
  unlock.close();
  t.ok(board.gpio(529).exported, 'a closed output stays exported, driving its level');
  t.ok(chip.open({ name: 'unlock', direction: 'out' }), 'and can be opened again');
});

t.test('two gates mapped to the same wire are refused', async (t) => {
  const board = fakeBoard();
  const entry = await openChip(t, board);
  const exit = await openChip(t, board, { gateId: 'exit-1', lines: { lock: 17 } });
  entry.open({ name: 'unlock', direction: 'out' });
  t.throws(
    () => exit.open({ name: 'lock', direction: 'out' }),
    /cannot open GPIO line "lock" of gate "exit-1" .*: the wire is already in use by GPIO line "unlock" of gate "entry-1"/,
  );
  entry.close();
  t.ok(exit.open({ name: 'lock', direction: 'out' }), 'free again once the first gate released it');
  await t.rejects(
    openChip(t, board, { lines: { unlock: 17, lock: 17 } }),
    /GPIO lines "unlock" and "lock" of gate "entry-1" are both mapped to line 17: each needs its own wire/,
  );
});

t.test('a line the gate profile uses but the map lacks is refused, naming both', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  t.throws(
    () => chip.open({ name: 'buzzer', direction: 'out' }),
    /gate "entry-1" has no GPIO line "buzzer" in its line map, and its gate profile uses it: .*\(lines mapped: "unlock", "green", "beamOuter", "beamInner", "fireAlarm"\)/,
  );
  t.throws(() => chip.open({ name: 'constructor', direction: 'in' }), /no GPIO line "constructor"/);
  const bare = await openChip(t, fakeBoard(), { lines: {}, gateId: undefined });
  t.throws(
    () => bare.open({ name: 'unlock', direction: 'out' }),
    /this hub has no GPIO line "unlock" .*lines mapped: none/,
  );
  t.equal(board.gpios.size, 0, 'nothing was exported');
});

t.test('a mapped line that the chip does not have stops the chip before any line is touched', async (t) => {
  const board = fakeBoard();
  await t.rejects(
    openChip(t, board, { lines: { unlock: 58 } }),
    /GPIO line "unlock" of gate "entry-1": line 58 does not exist on pinctrl-bcm2711 \(base 512, 58 lines\)/,
  );
  await t.rejects(openChip(t, board, { lines: { unlock: -3 } }), /"unlock" .*-3 is not a line number/);
  await t.rejects(
    openChip(t, board, { chip: 'pinctrl-rp1' }),
    /no GPIO chip labelled "pinctrl-rp1"/,
    'the resolver speaks before onoff is loaded',
  );
  t.equal(board.gpios.size, 0);
});

t.test('the configured chip and base choose the sysfs numbers', async (t) => {
  const board = fakeBoard();
  const expander = await openChip(t, board, { chip: 'raspberrypi-exp-gpio', lines: { green: 2 } });
  expander.open({ name: 'green', direction: 'out' });
  t.ok(board.gpios.has(572));
  const legacy = await openChip(t, board, { base: 0, lines: { green: 2 } });
  t.equal(legacy.kernelChip.chosenBy, 'base');
  legacy.open({ name: 'green', direction: 'out' });
  t.ok(board.gpios.has(2));
  t.throws(
    () => legacy.open({ name: 'unlock', direction: 'out' }),
    /no GPIO line "unlock"/,
    'only the lines in the map',
  );
});

t.test('the kernel refusing an export is explained', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const refuse = (code: string | undefined, message: string) => {
    board.exportError = Object.assign(new Error(message), code ? { code } : {});
    return () => chip.open({ name: 'unlock', direction: 'out' });
  };
  t.throws(
    refuse('EBUSY', 'EBUSY: resource busy or locked, write'),
    /cannot open GPIO line "unlock" of gate "entry-1" \(line 17 of pinctrl-bcm2711 \(base 512, 58 lines\), sysfs gpio529\): the kernel says the line is busy .*device-tree overlay/,
  );
  t.throws(refuse('EACCES', 'EACCES: permission denied'), /permission denied .*gpio group/);
  t.throws(refuse('EPERM', 'EPERM: operation not permitted'), /permission denied .*udev rule/);
  t.throws(
    refuse('EINVAL', 'EINVAL: invalid argument, write'),
    /refused the line number .*gpiochip\*\/label/,
  );
  t.throws(refuse(undefined, 'epoll_create failed'), /sysfs gpio529\): epoll_create failed$/);
  board.exportError = undefined;
  t.ok(chip.open({ name: 'unlock', direction: 'out' }), 'a refused line was not left claimed');
});

t.test('an output that cannot take its safe level is released and explained', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const Gpio = board.module.Gpio;
  let unexportError: Error | undefined;
  // Someone else exported the line as an input; onoff ignored the direction it could not set.
  board.module.Gpio = class {
    static readonly accessible = true;
    constructor(number: number, _direction: Direction, edge?: Edge, options: Options = {}) {
      const gpio = new Gpio(number, 'in', edge, options) as FakeGpio;
      gpio.failUnexport = unexportError;
      // biome-ignore lint/correctness/noConstructorReturn: the fake hands out the object the test inspects
      return gpio;
    }
  } as unknown as OnoffModule['Gpio'];
  t.throws(
    () => chip.open({ name: 'unlock', direction: 'out' }),
    /cannot bring GPIO line "unlock" .* to its safe level: EPERM.*another program holding the line as an input/,
  );
  t.notOk(board.gpio(529).exported, 'the line is released again');
  unexportError = new Error('EBADF');
  t.throws(
    () => chip.open({ name: 'unlock', direction: 'out' }),
    /to its safe level: EPERM/,
    'the first reason wins',
  );
  board.module.Gpio = Gpio;
  t.ok(chip.open({ name: 'unlock', direction: 'out' }), 'and it is not left claimed');
});

t.test('failSafe writes every output synchronously and never throws', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true });
  const green = chip.open({ name: 'green', direction: 'out', safeLevel: 1 });
  chip.open({ name: 'beamOuter', direction: 'in' });
  unlock.write(1);
  green.write(0);
  board.gpio(529).failWrites = new Error('EIO: i/o error, write');
  t.doesNotThrow(() => chip.failSafe());
  t.equal(board.gpio(539).wire, 1, 'a failing output does not stop the next one');
  t.equal(board.gpio(529).wire, 0, 'the failing one stayed where it was');
  t.ok(board.gpio(529).exported && board.gpio(539).exported, 'failSafe leaves the lines open');
});

t.test('a chip close that cannot reach the safe level still releases everything, then says so', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true });
  chip.open({ name: 'green', direction: 'out', safeLevel: 1 });
  chip.open({ name: 'beamOuter', direction: 'in' });
  unlock.write(1);
  board.gpio(529).failWrites = new Error('EIO: i/o error, write');
  board.gpio(517).failUnexport = new Error('EBADF: bad file descriptor, close');
  t.throws(
    () => chip.close(),
    /closing the GPIO of gate "entry-1": GPIO line "unlock" .* may not be at its safe level: EIO.*; releasing GPIO line "beamOuter" .* failed: EBADF/,
  );
  t.equal(board.gpio(539).wire, 1);
  t.notOk(board.gpio(517).exported, 'the input released despite the failure before it');
  t.doesNotThrow(() => chip.close(), 'nothing left to close');
});

t.test('read and write failures name the line', async (t) => {
  const board = fakeBoard();
  const chip = await openChip(t, board);
  const unlock = chip.open({ name: 'unlock', direction: 'out' });
  const beam = chip.open({ name: 'beamOuter', direction: 'in' });
  board.gpio(529).failWrites = new Error('EIO: i/o error, write');
  t.throws(() => unlock.write(1), /writing GPIO line "unlock" of gate "entry-1" .*failed: EIO/);
  board.gpio(517).readSync = () => {
    throw new Error('EIO: i/o error, read');
  };
  t.throws(() => beam.read(), /reading GPIO line "beamOuter" .*failed: EIO/);
  board.gpio(529).failWrites = undefined;
});

t.test('a hub whose GPIO is not accessible is told why before any line is touched', async (t) => {
  const board = fakeBoard();
  board.accessible = false;
  await t.rejects(openChip(t, board), /GPIO is not available/);
  t.equal(board.gpios.size, 0);
});

t.test('the real onoff on this machine, without sysfs GPIO, fails with a reason, not a crash', async (t) => {
  const { Gpio } = await import('onoff');
  t.equal(Gpio.accessible, false, 'this build machine has no GPIO (precondition of this test)');
  await t.rejects(
    openOnoffChip({ root: t.testdir(pi4), lines: turnstileLines }),
    /GPIO is not available: (there is no \/sys\/class\/gpio\/export, so this kernel has no sysfs GPIO \(CONFIG_GPIO_SYSFS\)|this user may not write)/,
  );
  await t.rejects(
    openOnoffChip({ root: join(t.testdir(), 'gpio'), lines: turnstileLines }),
    /this kernel has no sysfs GPIO \(CONFIG_GPIO_SYSFS\)/,
  );
});

t.test('an inaccessible sysfs GPIO is told apart from a missing one', (t) => {
  t.match(
    explainGpioInaccessible(t.testdir(pi4)),
    /this user may not write .*export; add the service user to the gpio group/,
  );
  t.match(explainGpioInaccessible(t.testdir({})), /there is no .*export, so this kernel has no sysfs GPIO/);
  t.end();
});
