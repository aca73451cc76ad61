// An MT-SICS scale over a real pseudo-terminal pair: a small scale simulator on one end answers @, SI
// and Z the way the reference manual describes; the hub's MtSicsBus reads the other end through the
// real serial adapter. Waits are on conditions with generous timeouts.
import t from 'tap';
import { openSerialPort } from '../../src/drivers/serial/serialport.js';
import type { SerialSettings, SerialTransport } from '../../src/drivers/serial/transport.js';
import { MtSicsBus, mtSicsProfileSchema } from '../../src/drivers/weight/mt-sics.js';
import type { BoardBatch, BoardStatus } from '../../src/drivers/weight/port.js';
import { systemClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { startPtyPair, waitFor } from '../helpers/pty.js';

const profile = mtSicsProfileSchema.parse({
  protocol: 'mt-sics',
  model: 'simulated scale',
  description: 'the test scale simulator',
  sampleRateHz: 20,
  replyTimeoutMs: 200,
  serial: { baudRate: 9600 },
});

const settings = (path: string): SerialSettings => ({ path, ...profile.serial });

/** A Mettler Toledo scale as far as the hub can tell: a load, a zero offset, answers in kg. */
class ScaleSimulator {
  loadGrams = 1234.5;
  offsetGrams = 0;
  busy = false;
  readonly heard: string[] = [];
  #pending = '';

  constructor(readonly port: SerialTransport) {
    port.onData((chunk) => {
      this.#pending += Buffer.from(chunk).toString('latin1');
      for (let end = this.#pending.indexOf('\r\n'); end >= 0; end = this.#pending.indexOf('\r\n')) {
        const command = this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + 2);
        this.heard.push(command);
        void this.port.write(Buffer.from(`${this.#answer(command)}\r\n`, 'latin1')).catch(() => undefined);
      }
    });
  }

  #answer(command: string): string {
    if (command === '@') return 'I4 A "SIM0001"';
    if (command === 'Z') {
      this.offsetGrams = this.loadGrams;
      return 'Z A';
    }
    if (command !== 'SI') return 'ES';
    if (this.busy) return 'S I';
    // Right-aligned in 10 characters, in kg, as a scale set to kg would send it.
    return `S S ${((this.loadGrams - this.offsetGrams) / 1000).toFixed(4).padStart(10)} kg`;
  }
}

t.test('a scale on a real serial line: reset, weights in grams, zero, silence, unplug', async (t) => {
  const pty = await startPtyPair(t);
  const scalePort = openSerialPort(settings(pty.devicePath));
  const scale = new ScaleSimulator(scalePort);
  const bus = new MtSicsBus({
    id: 'scale-bus',
    transport: openSerialPort(settings(pty.hubPath)),
    board: { id: 'scale-1' },
    profile,
    clock: systemClock,
    log: silentLogger(),
  });
  t.teardown(async () => {
    await bus.close();
    await scalePort.close();
  });
  const batches: { batch: BoardBatch; at: number }[] = [];
  const statuses: BoardStatus[] = [];
  const lost: string[] = [];
  bus.onData((batch) => batches.push({ batch, at: Date.now() }));
  bus.onBoardStatus((s) => statuses.push(s));
  bus.onLost((r) => lost.push(r));
  await scalePort.open();
  await bus.open();

  await waitFor(() => batches.length >= 5, 'five weights', 10_000);
  t.equal(scale.heard[0], '@', 'the scale was reset first');
  t.ok(
    scale.heard.slice(1).every((c) => c === 'SI'),
    'then only SI',
  );
  t.equal(batches[0]?.batch.values[0], Math.fround(1234.5), 'kg converted to grams');
  t.same(statuses[0], { boardId: 'scale-1', online: true, reason: 'answering' });
  t.ok(
    batches.every(({ batch, at }) => batch.t0 <= at),
    'no sample from the future',
  );

  await bus.zero('scale-1');
  const afterZero = batches.length;
  await waitFor(() => batches.length > afterZero + 1, 'weights after the zero');
  t.equal(batches.at(-1)?.batch.values[0], 0, 'the platform reads zero after Z');

  scale.busy = true;
  await waitFor(() => bus.counters().deviceErrors > 0, 'a busy answer');
  t.ok(Number.isNaN(batches.at(-1)?.batch.values[0]));
  scale.busy = false;

  // The scale is switched off but the adapter stays: timeouts, then offline.
  await scalePort.close();
  await waitFor(() => statuses.at(-1)?.online === false, 'the scale to go offline', 5_000);
  t.same(statuses.at(-1), { boardId: 'scale-1', online: false, reason: 'not answering for 1 s' });
  t.ok(bus.counters().timeouts > 0);

  // The adapter is pulled.
  await pty.stop();
  await waitFor(() => lost.length === 1, 'the bus to be lost');
  await pty.restart();
  await scalePort.open();
  await bus.open();
  await waitFor(() => statuses.at(-1)?.online === true, 'the scale back online', 5_000);
  t.equal(lost.length, 1);
});
