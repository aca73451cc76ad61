// An ascii-stream board over a real pseudo-terminal pair: the test plays the board on one end in real
// time, the hub reads the other through the real serial adapter. Waits are on conditions, with
// generous timeouts; nothing asserts on how long the OS took.
import t from 'tap';
import { openSerialPort } from '../../src/drivers/serial/serialport.js';
import type { SerialSettings } from '../../src/drivers/serial/transport.js';
import { AsciiStreamBus, asciiStreamProfileSchema } from '../../src/drivers/weight/ascii-stream.js';
import type { BoardBatch, BoardStatus } from '../../src/drivers/weight/port.js';
import { systemClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { startPtyPair, waitFor } from '../helpers/pty.js';

const RATE_HZ = 50;
const profile = asciiStreamProfileSchema.parse({
  protocol: 'ascii-stream',
  model: 'pty board',
  description: 'a test playing a two-channel board',
  channels: 2,
  unit: 'grams',
  range: { min: -1000, max: 100_000 },
  sampleRateHz: RATE_HZ,
  serial: { baudRate: 115200 },
  zeroCommand: 'Z',
});

const settings = (path: string): SerialSettings => ({ path, ...profile.serial });

/** The trace the board plays: a plate loaded with 1000 g plus the seq, and a slow ramp. */
const line = (seq: number) => `${seq},${1000 + seq},${(seq * 0.5).toFixed(1)}\r\n`;

t.test('a board streaming in real time reaches the hub sample for sample, garbage counted', async (t) => {
  const pty = await startPtyPair(t);
  const board = openSerialPort(settings(pty.devicePath));
  const bus = new AsciiStreamBus({
    id: 'bus-pty',
    transport: openSerialPort(settings(pty.hubPath)),
    board: { id: 'board-pty' },
    profile,
    clock: systemClock,
    log: silentLogger(),
  });
  t.teardown(async () => {
    await bus.close();
    await board.close();
  });
  const received: { batch: BoardBatch; at: number }[] = [];
  const statuses: BoardStatus[] = [];
  const lost: string[] = [];
  bus.onData((batch) => received.push({ batch, at: Date.now() }));
  bus.onBoardStatus((s) => statuses.push(s));
  bus.onLost((r) => lost.push(r));
  const toBoard: string[] = [];
  board.onData((c) => toBoard.push(Buffer.from(c).toString('latin1')));
  await board.open();
  await bus.open();

  // The board: a leading LF (the hub syncs on it), then 60 lines at 50 Hz with trouble mixed in.
  const script: string[] = ['\n'];
  for (let seq = 0; seq < 60; seq++) {
    script.push(line(seq));
    if (seq === 20) script.push('# board temperature 31 C\r\n');
    if (seq === 30) script.push('31,garbage\r\n\x00\x01\x02\r\n');
    if (seq === 40) script.push('41,10');
  }
  // Paced against the wall clock, like a board's own timer, so a busy test machine does not slow it.
  const started = Date.now();
  for (const [i, text] of script.entries()) {
    await board.write(Buffer.from(text, 'latin1'));
    const due = started + ((i + 1) * 1000) / RATE_HZ;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  }

  const seqs = () =>
    received.flatMap(({ batch }) =>
      Array.from({ length: batch.values.length / 2 }, (_, i) => batch.values[i * 2] as number),
    );
  await waitFor(() => seqs().at(-1) === 1059, 'the last line', 10_000);
  // The truncated "41,10" ran into line 41 and took it with it; every other line arrived once, in order.
  const expected = Array.from({ length: 60 }, (_, s) => 1000 + s).filter((v) => v !== 1041);
  t.same(seqs(), expected, 'every good line once, in order, no phantom samples');
  t.match(bus.counters(), { frames: 59, malformed: 3, lostSamples: 1, outOfRange: 0 });
  t.same(statuses, [{ boardId: 'board-pty', online: true, reason: 'streaming' }]);

  // Times come from seq: consecutive samples 20 ms apart across batches, none after its arrival.
  const times = received.flatMap(({ batch }) =>
    Array.from({ length: batch.values.length / 2 }, (_, i) => ({
      seq: (batch.values[i * 2] as number) - 1000,
      time: batch.t0 + (i * 1000) / batch.rateHz,
    })),
  );
  const future = received.filter(
    ({ batch, at }) => batch.t0 + ((batch.values.length / 2 - 1) * 1000) / RATE_HZ > at,
  );
  t.same(future, [], 'no sample from the future');
  const first = times[0] as { seq: number; time: number };
  const last = times.at(-1) as { seq: number; time: number };
  const span = last.time - first.time;
  // The anchor only slides back by the jitter of the fastest line, so the span is the seq span or a
  // little less.
  t.ok(
    span <= (last.seq - first.seq) * 20 + 1 && span > (last.seq - first.seq) * 20 - 200,
    `span ${span} ms`,
  );

  await bus.zero('board-pty');
  await waitFor(() => toBoard.join('') === 'Z\n', 'the zero command at the board');

  // Silence: the board stops; the hub says so within about a second.
  await waitFor(() => statuses.length === 2, 'the board to go offline', 5_000);
  t.same(statuses[1], { boardId: 'board-pty', online: false, reason: 'silent for 1 s' });

  // Unplug: the bus is lost once, and opens again once the adapter is back.
  await pty.stop();
  await waitFor(() => lost.length === 1, 'the bus to be lost');
  t.match(lost[0], /serial port .*hub (disappeared|failed)/);
  await board.close();
  await pty.restart();
  await bus.open();
  await board.open();
  await board.write(Buffer.from(`\n${line(7)}${line(8)}`, 'latin1'));
  await waitFor(() => seqs().at(-1) === 1008, 'lines after the re-plug');
  t.equal(lost.length, 1);
  t.equal(statuses.at(-1)?.online, true);
});
