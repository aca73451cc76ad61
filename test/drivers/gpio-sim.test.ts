import t from 'tap';
import type { Level } from '../../src/drivers/gpio/port.js';
import { SimGpioChip } from '../../src/drivers/gpio/sim.js';
import { FakeClock } from '../../src/system/clock.js';

t.test('outputs return to their safe level when the chip closes', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const lock = chip.open({ name: 'lock', direction: 'out', safeLevel: 1 });
  const lamp = chip.open({ name: 'lamp', direction: 'out' });
  t.equal(lock.read(), 1, 'an output opens at its safe level');
  clock.advance(100);
  lock.write(0);
  lamp.write(1);
  clock.advance(250);
  chip.close();
  t.equal(chip.level('lock'), 1, 'lock back to its safe level (1)');
  t.equal(chip.level('lamp'), 0, 'an output without a safe level falls to 0');
  const start = Date.UTC(2025, 0, 1);
  t.same(chip.writes('lock'), [
    { at: start, level: 1 },
    { at: start + 100, level: 0 },
    { at: start + 350, level: 1 },
  ]);
  t.notOk(chip.isOpen('lock'), 'lines are released');
  t.throws(() => lock.write(1), /closed/, 'a released line refuses writes');
  t.throws(() => lock.read(), /closed/);
  t.end();
});

t.test('active-low and debounce are applied to inputs', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const beam = chip.open({ name: 'beamA', direction: 'in', activeLow: true, debounceMs: 20 });
  t.equal(beam.read(), 0, 'an idle active-low input rests pulled up: logically inactive');
  t.equal(chip.wire('beamA'), 1);
  const seen: Level[] = [];
  beam.watch((level) => seen.push(level));

  chip.drive('beamA', 0);
  clock.advance(19);
  t.same(seen, [], 'nothing before the level has held for debounceMs');
  t.equal(beam.read(), 0);
  clock.advance(1);
  t.same(seen, [1], 'wire low reads as logical 1 once debounced');
  t.equal(beam.read(), 1);

  chip.drive('beamA', 1);
  clock.advance(5);
  chip.drive('beamA', 0);
  clock.advance(50);
  t.same(seen, [1], 'a 5 ms bounce is swallowed');

  chip.drive('beamA', 1);
  clock.advance(20);
  t.same(seen, [1, 0]);
  t.end();
});

t.test('an input without debounce reports every change at once, and unwatching stops it', (t) => {
  const chip = new SimGpioChip(new FakeClock());
  const alarm = chip.open({ name: 'fireAlarm', direction: 'in' });
  const seen: Level[] = [];
  const unwatch = alarm.watch((level) => seen.push(level));
  chip.drive('fireAlarm', 1);
  chip.drive('fireAlarm', 1);
  t.same(seen, [1], 'the same level twice is one change');
  unwatch();
  chip.drive('fireAlarm', 0);
  t.same(seen, [1]);
  t.equal(alarm.read(), 0);
  t.end();
});

t.test('a wire driven before the gate opens its line is read on open', (t) => {
  const chip = new SimGpioChip(new FakeClock());
  t.equal(chip.wire('door'), undefined);
  t.equal(chip.level('door'), undefined);
  chip.drive('door', 1);
  const door = chip.open({ name: 'door', direction: 'in' });
  t.equal(door.read(), 1);
  t.equal(chip.level('door'), 1);
  t.end();
});

t.test('lines refuse what their direction does not allow', (t) => {
  const chip = new SimGpioChip(new FakeClock());
  const lock = chip.open({ name: 'lock', direction: 'out', activeLow: true });
  const beam = chip.open({ name: 'beam', direction: 'in' });
  t.throws(() => beam.write(1), /is an input/);
  t.throws(() => lock.watch(() => {}), /is an output/);
  t.throws(() => chip.drive('lock', 1), /is an output/);
  t.throws(() => chip.open({ name: 'lock', direction: 'out' }), /busy/);
  t.equal(chip.wire('lock'), 1, 'an active-low output at logical 0 drives its wire high');
  lock.write(1);
  t.equal(chip.wire('lock'), 0);
  t.end();
});

t.test('a closed line can be opened again and keeps its write history', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const relay = chip.open({ name: 'relay', direction: 'out' });
  relay.write(1);
  relay.close();
  relay.close();
  t.notOk(chip.isOpen('relay'));
  t.equal(chip.level('relay'), 1, 'the last level is still known');
  const again = chip.open({ name: 'relay', direction: 'out' });
  t.equal(again.read(), 0);
  t.same(
    chip.writes('relay').map((w) => w.level),
    [0, 1, 0],
  );
  t.same(chip.writes('nothing'), []);
  t.end();
});

t.test('closing an input cancels a pending debounce', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const beam = chip.open({ name: 'beam', direction: 'in', debounceMs: 10 });
  const seen: Level[] = [];
  beam.watch((level) => seen.push(level));
  chip.drive('beam', 1);
  beam.close();
  clock.advance(50);
  t.same(seen, []);
  t.equal(clock.pending, 0, 'no timer left behind');
  chip.drive('beam', 0);
  t.equal(chip.wire('beam'), 0, 'the wire can still be driven with nobody listening');
  t.end();
});

t.test('setting an input logically puts the level its polarity needs on the wire', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const button = chip.open({ name: 'exitRequest', direction: 'in', activeLow: true, debounceMs: 30 });
  const beam = chip.open({ name: 'beamOuter', direction: 'in', debounceMs: 15 });
  const seen: string[] = [];
  button.watch((level) => seen.push(`exitRequest=${level}`));
  beam.watch((level) => seen.push(`beamOuter=${level}`));

  chip.set('exitRequest', 1);
  t.equal(chip.wire('exitRequest'), 0, 'a pressed button to ground pulls its active-low wire low');
  chip.set('beamOuter', 1);
  t.equal(chip.wire('beamOuter'), 1, 'an active-high beam goes high when broken');
  clock.advance(30);
  t.same(seen, ['beamOuter=1', 'exitRequest=1'], 'both read as active once debounced');
  chip.set('exitRequest', 0);
  chip.set('beamOuter', 0);
  clock.advance(30);
  t.equal(chip.wire('exitRequest'), 1, 'released: pulled up again');
  t.same(seen.slice(2), ['beamOuter=0', 'exitRequest=0']);
  chip.open({ name: 'unlock', direction: 'out' });
  t.throws(() => chip.set('unlock', 1), /is an output; cannot set it/);
  t.end();
});

t.test(
  'an input set before its gate opens it comes up at that level, with the polarity it opens with',
  (t) => {
    const chip = new SimGpioChip(new FakeClock());
    chip.set('fireAlarm', 1);
    chip.set('exitRequest', 1);
    chip.set('tamper', 1);
    t.equal(chip.wire('fireAlarm'), undefined, 'the wire is unknown until the polarity is');
    t.equal(chip.level('fireAlarm'), undefined);
    chip.drive('tamper', 0);

    const alarm = chip.open({ name: 'fireAlarm', direction: 'in' });
    const button = chip.open({ name: 'exitRequest', direction: 'in', activeLow: true });
    const tamper = chip.open({ name: 'tamper', direction: 'in' });
    t.equal(alarm.read(), 1, 'the alarm reads on');
    t.equal(chip.wire('fireAlarm'), 1);
    t.equal(button.read(), 1, 'the button reads pressed');
    t.equal(chip.wire('exitRequest'), 0, 'its active-low wire is low');
    t.equal(tamper.read(), 0, 'a later drive wins over an earlier set');

    button.close();
    chip.set('exitRequest', 0);
    t.equal(chip.wire('exitRequest'), 1, 'a closed line keeps the polarity it had');
    t.equal(chip.open({ name: 'exitRequest', direction: 'in', activeLow: true }).read(), 0);
    t.end();
  },
);

t.test('a listener hears every write to an output, with its logical level, until it unsubscribes', (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const heard: string[] = [];
  const stop = chip.onOutput((name, level) => heard.push(`${name}=${level}`));
  const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true, safeLevel: 1 });
  chip.open({ name: 'beamOuter', direction: 'in' });
  unlock.write(0);
  unlock.write(0);
  chip.drive('beamOuter', 1);
  t.same(heard, ['unlock=1', 'unlock=0', 'unlock=0'], 'safe level on open, then each write, repeats too');
  t.equal(chip.wire('unlock'), 1, 'the wire is the other way round; the listener hears the logical level');
  chip.close();
  t.same(heard.at(-1), 'unlock=1', 'back to its safe level on close');
  stop();
  chip.open({ name: 'unlock', direction: 'out' }).write(1);
  t.equal(heard.length, 4, 'nothing after unsubscribing');
  t.end();
});
