// An ascii-stream board on its own port, over an in-memory port and fake time: what the shelf gets
// (batches timed by seq), what a technician sees (board status, counters, log), and what never happens
// (phantom samples, exceptions, listeners after close).
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import {
  AsciiStreamBus,
  type AsciiStreamProfile,
  asciiStreamProfileSchema,
} from '../../src/drivers/weight/ascii-stream.js';
import type { BoardBatch, BoardStatus } from '../../src/drivers/weight/port.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { FakeSerial } from '../helpers/fake-serial.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

const profile: AsciiStreamProfile = asciiStreamProfileSchema.parse({
  protocol: 'ascii-stream',
  model: 'test board',
  description: 'two channels of grams',
  channels: 2,
  unit: 'grams',
  range: { min: -100, max: 5000 },
  sampleRateHz: 10,
  serial: { baudRate: 115200 },
  zeroCommand: 'Z',
});

function rig(
  t: TestContext,
  options: { profile?: AsciiStreamProfile; sampleRateHz?: number; log?: never } = {},
) {
  const clock = new FakeClock();
  const port = new FakeSerial();
  const logged = captureLog();
  const bus = new AsciiStreamBus({
    id: 'shelf-bus-1',
    transport: port,
    board: { id: 'board-1', sampleRateHz: options.sampleRateHz },
    profile: options.profile ?? profile,
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
  /** Sends lines as one chunk, `ms` after the previous one. */
  const send = (ms: number, text: string) => {
    clock.advance(ms);
    port.receive(text);
  };
  return { clock, port, bus, batches, statuses, lost, send, logged };
}

const values = (b: BoardBatch | undefined) => (b ? [...b.values] : undefined);

t.test('the lines of one chunk reach the shelf as one batch, timed by seq', async (t) => {
  const { bus, batches, send, clock } = rig(t);
  await bus.open();
  send(0, '\n');
  send(300, '7,1.5,2\n8,3,4\n9,5,6\n');
  t.equal(batches.length, 1);
  t.match(batches[0], { boardId: 'board-1', rateHz: 10, channels: 2, t0: clock.now() - 200 });
  t.same(values(batches[0]), [1.5, 2, 3, 4, 5, 6]);
  send(150, '10,7,8\n');
  t.equal(batches[1]?.t0, clock.now() - 50, 'the next line is 100 ms after the last, whatever its arrival');
  t.match(bus.counters(), { frames: 4, malformed: 0, lostSamples: 0, outOfRange: 0 });
});

t.test('lost lines are counted and the next batch starts later, leaving a gap', async (t) => {
  const { bus, batches, send } = rig(t);
  await bus.open();
  send(0, '\n1,0,0\n2,0,0\n');
  send(500, '6,1,1\n7,1,1\n');
  t.equal(bus.counters().lostSamples, 3);
  t.equal((batches[1]?.t0 ?? 0) - (batches[0]?.t0 ?? 0), 500);
  // A gap inside one chunk splits it in two batches.
  send(500, '8,2,2\n12,3,3\n13,3,3\n');
  t.equal(batches.length, 4);
  t.equal((batches[3]?.t0 ?? 0) - (batches[2]?.t0 ?? 0), 400);
  t.same(values(batches[3]), [3, 3, 3, 3]);
  t.equal(bus.counters().lostSamples, 6);
});

t.test('garbage and truncated lines are counted and dropped, and never become samples', async (t) => {
  const { bus, batches, send, logged } = rig(t);
  await bus.open();
  send(0, '\n1,10,20\n2,10\n3,abc,20\n\x00\xff\xfe\n4,10,');
  send(100, '\n5,10,20\n');
  const samples = batches.reduce((n, b) => n + b.values.length / b.channels, 0);
  t.equal(samples, 2, 'only the two good lines');
  t.match(bus.counters(), { frames: 2, malformed: 4 });
  t.equal(bus.counters().lostSamples, 3, 'the dropped lines are missing samples');
  const warnings = logged.lines.filter((l) => l.msg === 'malformed line dropped');
  t.equal(warnings.length, 1, 'logged once, not once per line');
  t.match(warnings[0], {
    board: 'board-1',
    reason: '1 values, expected 2',
    line: '2,10',
  });
});

t.test('nan and out-of-range readings arrive as NaN and are counted', async (t) => {
  const { bus, batches, send } = rig(t);
  await bus.open();
  send(0, '\n1,nan,20\n2,6000,-101\n');
  t.same(values(batches[0])?.map(Number.isNaN), [true, false, true, true]);
  t.equal(bus.counters().outOfRange, 3);
});

t.test('the board goes offline after a second without a valid line, and online with the next', async (t) => {
  const { bus, statuses, send, clock } = rig(t);
  await bus.open();
  t.same(statuses, [], 'no verdict before the first line');
  send(0, '\n1,0,0\n');
  t.same(statuses, [{ boardId: 'board-1', online: true, reason: 'streaming' }]);
  send(999, '2,0,0\n');
  clock.advance(999);
  t.equal(statuses.length, 1, 'still online just before a second of silence');
  clock.advance(1);
  t.same(statuses[1], { boardId: 'board-1', online: false, reason: 'silent for 1 s' });
  clock.advance(10_000);
  t.equal(statuses.length, 2, 'offline is reported once');
  send(0, '3,0,0\n');
  t.same(statuses[2], { boardId: 'board-1', online: true, reason: 'streaming' });
  clock.advance(1000);
  t.equal(statuses[3]?.online, false, 'and watched again');
});

t.test('a board that only sends garbage is offline, and the reason says so', async (t) => {
  const { bus, statuses, send } = rig(t);
  await bus.open();
  send(0, '\n1,0,0\n');
  send(300, 'x\n');
  send(300, 'y\n');
  send(400, '');
  t.same(statuses[1], { boardId: 'board-1', online: false, reason: 'only malformed lines for 1 s (2)' });
});

t.test('a board that never sends anything after the port opens is offline', async (t) => {
  const { bus, statuses, clock } = rig(t);
  await bus.open();
  clock.advance(1000);
  t.same(statuses, [{ boardId: 'board-1', online: false, reason: 'silent for 1 s' }]);
});

t.test('a slow board gets ten sample periods before it counts as silent', async (t) => {
  const { bus, statuses, send, clock } = rig(t, { sampleRateHz: 2 });
  await bus.open();
  send(0, '\n1,0,0\n');
  clock.advance(4999);
  t.equal(statuses.length, 1);
  clock.advance(1);
  t.same(statuses[1], { boardId: 'board-1', online: false, reason: 'silent for 5 s' });
});

t.test('the configured rate overrides the profile and times the samples', async (t) => {
  const { bus, batches, send, clock } = rig(t, { sampleRateHz: 50 });
  await bus.open();
  send(0, '\n1,0,0\n2,0,0\n');
  t.equal(batches[0]?.rateHz, 50);
  t.equal(batches[0]?.t0, clock.now() - 20);
});

t.test('a restarted board is re-timed and logged once', async (t) => {
  const { bus, batches, send, clock, logged } = rig(t);
  await bus.open();
  send(0, '\n5000,0,0\n5001,0,0\n');
  send(3000, '0,1,1\n1,1,1\n');
  t.equal(batches.length, 2);
  t.equal(batches[1]?.t0, clock.now() - 100, 'timed from its arrival, not from the old sequence');
  // A restart inside one chunk splits it.
  send(100, '2,1,1\n0,2,2\n');
  t.equal(batches.length, 4, 'the restart starts a new batch');
  t.same(values(batches[3]), [2, 2]);
  t.equal(bus.counters().lostSamples, 0, 'a restart is not lost samples');
  send(3000, '0,1,1\n');
  t.equal(logged.lines.filter((l) => l.msg?.toString().startsWith('board sequence restarted')).length, 1);
});

t.test('board messages are logged, a few at a time', async (t) => {
  const { bus, send, logged } = rig(t);
  await bus.open();
  send(0, `\n${Array.from({ length: 8 }, (_, i) => `# boot line ${i}\n`).join('')}`);
  const said = logged.lines.filter((l) => l.msg === 'board says').map((l) => l.message);
  t.same(said, ['boot line 0', 'boot line 1', 'boot line 2', 'boot line 3', 'boot line 4']);
  send(10_000, '# later\n');
  t.match(logged.lines.at(-1), { msg: 'board says', message: 'later', suppressed: 3 });
});

t.test('zero sends the profile command with a line ending', async (t) => {
  const { bus, port } = rig(t);
  await bus.open();
  await bus.zero('board-1');
  t.same(port.written, ['Z\n']);
  await t.rejects(bus.zero('board-2'), { message: 'no board board-2 on shelf-bus-1' });
  await bus.close();
  await t.rejects(bus.zero('board-1'), /not open/);

  const crlf = rig(t, { profile: { ...profile, zeroCommand: 'TARE\r\n' } });
  await crlf.bus.open();
  await crlf.bus.zero('board-1');
  t.same(crlf.port.written, ['TARE\r\n'], 'a command with its own line ending is sent as is');

  const none = rig(t, { profile: { ...profile, zeroCommand: undefined } });
  await none.bus.open();
  await t.rejects(none.bus.zero('board-1'), {
    message: 'board board-1 (test board) has no zero command; tare it at the shelf',
  });
});

t.test('an unplugged port is lost once; nothing is heard until it is opened again', async (t) => {
  const { bus, port, batches, statuses, lost, send, clock } = rig(t);
  await bus.open();
  send(0, '\n1,0,0\n');
  port.unplug();
  port.unplug();
  t.same(lost, ['serial port /dev/fake disappeared']);
  clock.advance(5000);
  t.equal(statuses.length, 1, 'no board verdict while the port is gone');
  await bus.open();
  send(0, 'tail of a line\n900,1,1\n');
  t.equal(batches.length, 2, 'the partial line after reopening is skipped');
  t.equal(batches[1]?.t0, clock.now(), 're-anchored: not a restart, not lost samples');
  t.equal(bus.counters().lostSamples, 0);
  t.equal(bus.counters().malformed, 0);
});

t.test('after close no listener is called, and close can be repeated', async (t) => {
  const { bus, port, batches, statuses, lost, send, clock } = rig(t);
  await bus.open();
  await bus.open();
  send(0, '\n1,0,0\n');
  await bus.close();
  await bus.close();
  port.isOpen = true; // a port that still delivers after close must not reach anyone
  port.receive('2,0,0\n');
  port.unplug();
  clock.advance(5000);
  t.equal(batches.length, 1);
  t.equal(statuses.length, 1);
  t.same(lost, []);
  t.equal(clock.pending, 0, 'no timer left behind');
});

t.test('an open the port refuses rejects with its reason, and nothing is watched', async (t) => {
  const { bus, port, statuses, clock } = rig(t);
  port.refuse = 'no serial port at /dev/fake: is the adapter plugged in? Prefer a /dev/serial/by-id/ path';
  await t.rejects(bus.open(), { message: port.refuse });
  clock.advance(5000);
  t.same(statuses, []);
});

t.test('a listener that closes the bus stops delivery at once', async (t) => {
  const { bus, port, batches, statuses, clock } = rig(t);
  const closing: BoardBatch[] = [];
  bus.onData((b) => {
    closing.push(b);
    void bus.close();
  });
  await bus.open();
  port.receive('\n1,0,0\n3,0,0\n');
  t.equal(batches.length + closing.length, 2, 'the first batch reached both listeners, the second none');
  t.same(statuses, [], 'no verdict after close');
  t.equal(clock.pending, 0);
});

t.test('unsubscribed listeners hear nothing', async (t) => {
  const clock = new FakeClock();
  const port = new FakeSerial();
  const bus = new AsciiStreamBus({
    id: 'b',
    transport: port,
    board: { id: 'x' },
    profile,
    clock,
    log: silentLogger(),
  });
  const heard: unknown[] = [];
  bus.onData((b) => heard.push(b))();
  bus.onBoardStatus((s) => heard.push(s))();
  bus.onLost((r) => heard.push(r))();
  await bus.open();
  port.receive('\n1,0,0\n');
  port.unplug();
  t.same(heard, []);
});

t.test('a long chunk grows the buffer and keeps every sample in order', async (t) => {
  const { bus, batches, send } = rig(t);
  await bus.open();
  send(0, `\n${Array.from({ length: 300 }, (_, i) => `${i},${i},${i % 7}\n`).join('')}`);
  t.equal(batches.length, 1);
  t.equal(batches[0]?.values.length, 600);
  t.same(values(batches[0])?.slice(0, 4), [0, 0, 1, 1]);
  t.same(values(batches[0])?.slice(-2), [299, 299 % 7]);
});

t.test('a board clock that runs slow is re-timed and logged', async (t) => {
  const { bus, batches, send, clock, logged } = rig(t);
  await bus.open();
  // 10 Hz claimed, one line every 110 ms sent: after ~11 s the samples lag their arrival by a second.
  send(0, '\n');
  for (let seq = 0; seq < 150; seq++) send(110, `${seq},0,0\n`);
  const last = batches.at(-1) as BoardBatch;
  t.ok(clock.now() - last.t0 <= 1000, 'never more than a second behind');
  t.ok(logged.lines.some((l) => String(l.msg).startsWith('board samples lag their arrival')));
});

t.test('the profile schema accepts a complete profile and fills serial defaults', async (t) => {
  t.same(profile.serial, { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 });
  const bad = asciiStreamProfileSchema.safeParse({
    protocol: 'ascii-stream',
    model: 'm',
    description: 'd',
    channels: 0,
    unit: 'grams',
    gramsPerCount: 2,
    range: { min: 5, max: 5 },
    sampleRateHz: 500,
    serial: { baudRate: 9600, parity: 'mark' },
    extra: true,
  });
  t.equal(bad.success, false);
  const paths = bad.error?.issues.map((i) => i.path.join('.')).sort();
  t.same(paths, ['', 'channels', 'range', 'sampleRateHz', 'serial.parity']);
  const countsOnly = asciiStreamProfileSchema.safeParse({ ...profile, gramsPerCount: 2 });
  t.same(
    countsOnly.error?.issues.map((i) => [i.path.join('.'), i.message]),
    [['gramsPerCount', 'only for unit "counts"']],
  );
});

t.test('every devices/ascii-stream-*.yaml is a valid profile', async (t) => {
  const dir = new URL('../../devices/', import.meta.url);
  const files = readdirSync(dir).filter((f) => /^ascii-stream-.*\.yaml$/.test(f));
  t.ok(files.length >= 2, `found ${files.join(', ')}`);
  for (const file of files) {
    const result = asciiStreamProfileSchema.safeParse(parse(readFileSync(new URL(file, dir), 'utf8')));
    t.ok(result.success, `${file}: ${result.error?.message ?? 'valid'}`);
  }
});
