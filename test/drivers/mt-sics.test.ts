// A Mettler Toledo scale over MT-SICS, on an in-memory port with fake time: the hub resets it, polls
// SI at the profile's rate, zeroes it between polls, and tells a technician when it stops answering.
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { MtSicsBus, type MtSicsProfile, mtSicsProfileSchema } from '../../src/drivers/weight/mt-sics.js';
import type { BoardBatch, BoardStatus } from '../../src/drivers/weight/port.js';
import { FakeClock } from '../../src/system/clock.js';
import { FakeSerial } from '../helpers/fake-serial.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

const profile: MtSicsProfile = mtSicsProfileSchema.parse({
  protocol: 'mt-sics',
  model: 'test scale',
  description: 'a scripted scale',
  sampleRateHz: 10,
  serial: { baudRate: 9600 },
});

/** A scale that answers each command 20 ms later, as its script says. */
class ScriptedScale {
  weight = 'S S     100.00 g';
  /** Overrides for the next answers to SI, in order. */
  readonly next: string[] = [];
  zeroAnswer: string | undefined = 'Z A';
  silent = false;
  readonly commands: string[] = [];

  constructor(
    readonly port: FakeSerial,
    readonly clock: FakeClock,
  ) {
    port.onWrite = (text) => {
      const command = text.replace(/\r\n$/, '');
      this.commands.push(command);
      if (this.silent) return;
      const answer =
        command === '@'
          ? 'I4 A "B123456789"'
          : command === 'Z'
            ? this.zeroAnswer
            : (this.next.shift() ?? this.weight);
      if (answer !== undefined) clock.setTimeout(() => port.receive(`${answer}\r\n`), 20);
    };
  }
}

function rig(t: TestContext, overrides: Partial<MtSicsProfile> = {}, sampleRateHz?: number) {
  const clock = new FakeClock();
  const port = new FakeSerial();
  const scale = new ScriptedScale(port, clock);
  const logged = captureLog();
  const bus = new MtSicsBus({
    id: 'scale-bus',
    transport: port,
    board: { id: 'scale-1', sampleRateHz },
    profile: { ...profile, ...overrides },
    clock,
    log: logged.log,
  });
  const batches: BoardBatch[] = [];
  const statuses: BoardStatus[] = [];
  const lost: string[] = [];
  bus.onData((b) => batches.push(b));
  bus.onBoardStatus((s) => statuses.push(s));
  bus.onLost((r) => lost.push(r));
  t.teardown(() => bus.close());
  return { clock, port, scale, bus, batches, statuses, lost, logged };
}

const grams = (batches: BoardBatch[]) => batches.map((b) => b.values[0]);

t.test('on open the scale is reset, then asked for its weight ten times a second', async (t) => {
  const { bus, scale, clock, batches, statuses, logged } = rig(t);
  await bus.open();
  t.same(scale.commands, ['@'], 'reset first');
  clock.advance(1000);
  t.same(scale.commands.slice(0, 3), ['@', 'SI', 'SI']);
  t.equal(scale.commands.filter((c) => c === 'SI').length, 10);
  t.equal(batches.length, 9, 'the tenth answer is still on its way');
  t.match(batches[0], { boardId: 'scale-1', rateHz: 10, channels: 1 });
  t.equal(batches[0]?.values.length, 1);
  t.same(grams(batches).slice(0, 2), [100, 100]);
  t.equal((batches[1]?.t0 ?? 0) - (batches[0]?.t0 ?? 0), 100, 'evenly spaced at the poll rate');
  // Asked at 100 ms, answered at 120 ms: measured at about 110 ms.
  t.equal(batches[0]?.t0, Date.UTC(2025, 0, 1) + 110);
  t.same(statuses, [{ boardId: 'scale-1', online: true, reason: 'answering' }]);
  t.match(
    logged.lines.find((l) => l.msg === 'scale reset'),
    { serial: 'B123456789', board: 'scale-1' },
  );
  t.match(bus.counters(), { frames: 10, timeouts: 0, malformed: 0, lostSamples: 0 });
});

t.test('weights in kg, lb or a dynamic weight all arrive in grams', async (t) => {
  const { bus, scale, clock, batches } = rig(t, { resetOnOpen: false });
  scale.next.push('S D      0.250 kg', 'S S      1.000 lb', 'S S     -3.5 g');
  await bus.open();
  clock.advance(350);
  t.same(grams(batches), [250, Math.fround(453.59237), -3.5]);
});

t.test('busy, overload and underload answers are NaN samples, counted by cause', async (t) => {
  const { bus, scale, clock, batches } = rig(t, { resetOnOpen: false });
  scale.next.push('S I', 'S +', 'S -', 'S S 1.0 g');
  await bus.open();
  clock.advance(450);
  t.same(grams(batches).map(Number.isNaN), [true, true, true, false]);
  t.match(bus.counters(), { deviceErrors: 1, outOfRange: 2, frames: 4 });
});

t.test(
  'a scale that stops answering: timeouts counted, offline after a second, back online when it answers',
  async (t) => {
    const { bus, scale, clock, batches, statuses } = rig(t, { resetOnOpen: false });
    await bus.open();
    clock.advance(250);
    const before = batches.length;
    scale.silent = true;
    clock.advance(1500);
    t.equal(batches.length, before, 'no phantom samples');
    t.same(statuses.at(-1), { boardId: 'scale-1', online: false, reason: 'not answering for 1 s' });
    const { timeouts, lostSamples } = bus.counters();
    t.ok(timeouts >= 2 && timeouts === lostSamples, `${timeouts} timeouts, each a lost sample`);
    t.ok(
      scale.commands.length <= 2 + 1500 / 500 + 1,
      'never more than one question in flight: one SI per reply timeout while silent',
    );
    scale.silent = false;
    clock.advance(1000);
    t.same(statuses.at(-1), { boardId: 'scale-1', online: true, reason: 'answering' });
  },
);

t.test('a late answer to a question already given up on is ignored', async (t) => {
  const { bus, port, clock, batches, scale } = rig(t, { resetOnOpen: false, replyTimeoutMs: 50 });
  scale.silent = true;
  await bus.open();
  clock.advance(160); // SI at 100 ms times out at 150 ms
  port.receive('S S     7.00 g\r\n');
  t.same(batches, []);
  t.equal(bus.counters().timeouts, 1);
});

t.test('syntax, transmission and logical errors are counted and logged once each', async (t) => {
  const { bus, scale, clock, batches, logged } = rig(t, { resetOnOpen: false });
  scale.next.push('ES', 'ES', 'ET', 'EL', 'S S 2 g');
  await bus.open();
  clock.advance(550);
  t.same(grams(batches), [2]);
  t.match(bus.counters(), { deviceErrors: 4, lostSamples: 4 });
  const warned = logged.lines.filter((l) => typeof l.code === 'string').map((l) => l.code);
  t.same(warned, ['ES', 'ET', 'EL']);
  t.match(
    logged.lines.find((l) => l.code === 'ET'),
    { msg: /check baud rate, parity and cabling/ },
  );
});

t.test('garbage from the scale is counted and never becomes a sample', async (t) => {
  const { bus, scale, clock, batches, statuses } = rig(t, { resetOnOpen: false });
  scale.weight = '\x00\xffS S ??';
  await bus.open();
  clock.advance(1200);
  t.same(batches, []);
  // A garbled answer does not end the question: it times out and the next SI follows.
  t.match(bus.counters(), { malformed: 3, timeouts: 2 });
  t.match(statuses.at(-1), { online: false, reason: /^only malformed lines for 1 s \(\d+\)$/ });
});

t.test('an over-long reply is dropped', async (t) => {
  const { bus, port, clock, batches } = rig(t, { resetOnOpen: false });
  await bus.open();
  port.receive(`${'x'.repeat(300)}\r\n`);
  clock.advance(150);
  t.equal(bus.counters().malformed, 1);
  t.equal(batches.length, 1);
});

t.test('zero goes out between two polls and resolves when the scale confirms', async (t) => {
  const { bus, scale, clock } = rig(t, { resetOnOpen: false });
  await bus.open();
  clock.advance(110); // an SI is in flight
  const zeroed = bus.zero('scale-1');
  t.same(scale.commands, ['SI'], 'Z waits for the answer in flight');
  clock.advance(30);
  t.same(scale.commands, ['SI', 'Z']);
  await clock.advanceAsync(20);
  await zeroed;
  clock.advance(200);
  t.same(scale.commands.slice(2), ['SI', 'SI'], 'polling resumes');
});

t.test('zero failures say what to do', async (t) => {
  for (const [answer, message] of [
    ['Z I', 'the scale could not zero (busy, or the weight was not stable in time)'],
    ['Z +', 'the load is above the zero range: clear the platform'],
    ['Z -', 'the load is below the zero range: is the platform in place?'],
    ['EL', 'the scale refused Z (EL)'],
    [undefined, 'the scale did not confirm the zero within 2 s'],
  ] as const) {
    const { bus, scale, clock } = rig(t, { resetOnOpen: false, zeroTimeoutMs: 2000 });
    scale.zeroAnswer = answer;
    await bus.open();
    const zeroed = bus.zero('scale-1');
    clock.advance(2100);
    await t.rejects(zeroed, { message }, String(answer));
  }
  const { bus } = rig(t);
  await t.rejects(bus.zero('scale-1'), { message: 'scale-bus is not open' });
  await bus.open();
  await t.rejects(bus.zero('scale-2'), { message: 'no scale scale-2 on scale-bus' });
  const pending = bus.zero('scale-1');
  await bus.close();
  await t.rejects(pending, { message: 'zero abandoned: scale-bus was closed' });
});

t.test('an unplugged port is lost once, polling stops, and reopening resets the scale again', async (t) => {
  const { bus, port, scale, clock, batches, statuses, lost } = rig(t);
  await bus.open();
  clock.advance(300);
  const zeroed = bus.zero('scale-1');
  port.unplug();
  port.unplug();
  t.same(lost, ['serial port /dev/fake disappeared']);
  await t.rejects(zeroed, /zero abandoned: serial port \/dev\/fake disappeared/);
  const asked = scale.commands.length;
  const heard = batches.length;
  clock.advance(5000);
  t.equal(scale.commands.length, asked, 'nothing sent while lost');
  t.equal(batches.length, heard);
  t.equal(statuses.length, 1, 'no board verdict while the port is gone');
  t.equal(clock.pending, 0, 'no timers left');
  await bus.open();
  t.equal(scale.commands.at(-1), '@');
});

t.test('after close nothing is heard and no timer is left', async (t) => {
  const { bus, port, clock, batches, statuses, lost } = rig(t);
  await bus.open();
  await bus.open();
  clock.advance(110);
  await bus.close();
  port.isOpen = true;
  port.receive('S S 1 g\r\n');
  port.unplug();
  clock.advance(5000);
  t.same(batches, []);
  t.equal(statuses.length, 1, 'only the reset answer before close');
  t.same(lost, []);
  t.equal(clock.pending, 0);
});

t.test('the poll rate can be set per scale', async (t) => {
  const { bus, scale, clock, batches } = rig(t, { resetOnOpen: false }, 2);
  await bus.open();
  clock.advance(2000);
  t.equal(scale.commands.length, 4);
  t.equal(batches[0]?.rateHz, 2);
});

t.test('every devices/mt-sics-*.yaml is a valid profile', async (t) => {
  const dir = new URL('../../devices/', import.meta.url);
  const files = readdirSync(dir).filter((f) => /^mt-sics-.*\.yaml$/.test(f));
  t.ok(files.length >= 1);
  for (const file of files) {
    const result = mtSicsProfileSchema.safeParse(parse(readFileSync(new URL(file, dir), 'utf8')));
    t.ok(result.success, `${file}: ${result.error?.message ?? 'valid'}`);
  }
  t.match(profile, { resetOnOpen: true, replyTimeoutMs: 500, zeroTimeoutMs: 10_000 });
  t.equal(mtSicsProfileSchema.safeParse({ ...profile, sampleRateHz: 100 }).success, false);
});
