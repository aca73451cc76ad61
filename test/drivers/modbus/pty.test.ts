// The Modbus bus against real Modbus RTU modules (pymodbus) over a real pseudo-terminal pair, in real
// time: conditions are waited on with generous timeouts, timing is never asserted to the millisecond.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openSerialPort } from '../../../src/drivers/serial/serialport.js';
import { ModbusRtuBus } from '../../../src/drivers/weight/modbus/bus.js';
import { parseModbusProfile } from '../../../src/drivers/weight/modbus/profile.js';
import type { BoardBatch, BoardStatus } from '../../../src/drivers/weight/port.js';
import { serialSettings } from '../../../src/drivers/weight/serial-profile.js';
import { systemClock } from '../../../src/system/clock.js';
import { silentLogger } from '../../../src/system/log.js';
import { startPtyPair, waitFor } from '../../helpers/pty.js';
import type { TestContext } from '../../helpers/tap-types.js';
import { startSlave } from './pymodbus-slave.js';

const profileFile = join(import.meta.dirname, '../../../devices/modbus-4ch-int32.yaml');
const shipped = parseModbusProfile(readFileSync(profileFile, 'utf8'), profileFile);
// A busy CI machine can stall the Python slave far longer than a real module thinks: more patience.
const profile = { ...shipped, timing: { ...shipped.timing, responseTimeoutMs: 300 } };
const SLOW = 15_000;

async function setUp(t: TestContext) {
  const pty = await startPtyPair(t);
  const slave = await startSlave(t, pty.devicePath, [1, 2]);
  const bus = new ModbusRtuBus({
    id: 'shelf-bus',
    transport: openSerialPort(serialSettings(pty.hubPath, profile.serial)),
    boards: [
      { id: 'left', address: 1, profile },
      { id: 'right', address: 2, profile },
      { id: 'spare', address: 3, profile },
    ],
    clock: systemClock,
    log: silentLogger(),
  });
  const batches: BoardBatch[] = [];
  const statuses: BoardStatus[] = [];
  const lost: string[] = [];
  bus.onData((b) => batches.push(b));
  bus.onBoardStatus((s) => statuses.push(s));
  bus.onLost((reason) => lost.push(reason));
  t.teardown(() => bus.close());
  const latest = (boardId: string) => batches.findLast((b) => b.boardId === boardId);
  const reads = (boardId: string, grams: (number | 'NaN')[]) => () => {
    const b = latest(boardId);
    return (
      b !== undefined && Array.from(b.values, (v) => (Number.isNaN(v) ? 'NaN' : v)).join() === grams.join()
    );
  };
  const statusOf = (boardId: string) => statuses.findLast((s) => s.boardId === boardId);
  return { pty, slave, bus, batches, statuses, lost, reads, statusOf };
}

t.test('a shelf bus polls real Modbus RTU modules over a serial line', async (t) => {
  const { slave, bus, batches, reads, statusOf } = await setUp(t);
  await slave.load(1, [100, 200, 300, 400]);
  await slave.load(2, [1500, 0, 25, 60_000]);
  await bus.open();

  await waitFor(reads('left', [100, 200, 300, 400]), "the left module's loads", SLOW);
  await waitFor(reads('right', [1500, 0, 25, 60_000]), "the right module's loads", SLOW);
  t.pass('each module reads its own plates');
  t.match(statusOf('left'), { online: true, reason: 'address 1 answering' });

  await waitFor(() => statusOf('spare')?.online === false, 'the absent module reported offline', SLOW);
  t.same(statusOf('spare'), { boardId: 'spare', online: false, reason: 'address 3 not answering (timeout)' });

  await slave.load(1, [100, 200, 300, -250]);
  await waitFor(reads('left', [100, 200, 300, -250]), 'a lifted item', SLOW);
  t.pass('a change of load shows in the next polls, negative values included');

  await slave.command({ set: { unit: 2, table: 'hr', address: 8, values: [0b100_0000_0010] } });
  await waitFor(reads('right', [1500, 'NaN', 'NaN', 60_000]), 'overload and ADC error flagged', SLOW);
  t.ok(bus.counters().outOfRange > 0 && bus.counters().deviceErrors > 0, 'and counted');
  await slave.command({ set: { unit: 2, table: 'hr', address: 8, values: [0] } });
  await waitFor(reads('right', [1500, 0, 25, 60_000]), 'the flags cleared', SLOW);

  await bus.zero('left');
  t.same(
    (await slave.command({ get: { unit: 1, table: 'hr', address: 16, count: 1 } })).values,
    [1],
    'zeroed',
  );

  const before = bus.counters();
  const told = [statusOf('left'), statusOf('right')];
  await slave.command({ corrupt: 2 });
  await waitFor(() => bus.counters().badCrc >= before.badCrc + 2, 'two bad CRCs', SLOW);
  const after = batches.length;
  await waitFor(() => batches.length > after + 4, 'more samples', SLOW);
  t.same(
    [statusOf('left'), statusOf('right')],
    told,
    'retries kept both modules online through the bad frames',
  );
  const truth: Record<string, string> = { left: '100,200,300,-250', right: '1500,0,25,60000' };
  t.ok(
    batches.slice(after).every((b) => Array.from(b.values).join() === truth[b.boardId]),
    'and every sample after them is the true load',
  );

  await slave.command({ add: 3 });
  await waitFor(() => statusOf('spare')?.online === true, 'the spare module coming online', SLOW);
  t.pass('a module that appears is found by its probes');
  await slave.command({ remove: 2 });
  await waitFor(() => statusOf('right')?.online === false, 'the right module going offline', SLOW);
  t.equal(statusOf('right')?.reason, 'address 2 not answering (timeout)');

  const rate = bus.boards().find((b) => b.boardId === 'left')?.rateHz as number;
  t.ok(rate > 2, `left polled at ${rate.toFixed(1)} Hz beside a live and a probed module`);
  t.equal(bus.counters().timeouts > 0, true, 'the dead addresses cost timeouts');
});

t.test('an unplugged adapter is a lost bus, and it polls again once plugged back in', async (t) => {
  const { pty, slave, bus, lost, reads } = await setUp(t);
  await slave.load(1, [1, 2, 3, 4]);
  await bus.open();
  await waitFor(reads('left', [1, 2, 3, 4]), 'the first samples', SLOW);

  await slave.stop();
  await pty.stop();
  await waitFor(() => lost.length > 0, 'the loss', SLOW);
  t.equal(lost.length, 1, 'reported once');
  // Whichever notices first, the read's hang-up or a poll's write, names the port.
  t.match(lost[0], /^serial port .*\/hub (disappeared|failed)/);

  await t.rejects(bus.open(), /no serial port at .*hub/, 'opening fails while it is unplugged');
  await pty.restart();
  const again = await startSlave(t, pty.devicePath, [1]);
  await again.load(1, [5, 6, 7, 8]);
  await bus.open();
  await waitFor(reads('left', [5, 6, 7, 8]), 'samples after the re-plug', SLOW);
  t.pass('polling resumed');
});
