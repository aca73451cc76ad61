import t from 'tap';
import { READ_HOLDING, readRegisters } from '../../../src/drivers/weight/modbus/frames.js';
import { RtuLine } from '../../../src/drivers/weight/modbus/line.js';
import { emptyCounters } from '../../../src/drivers/weight/port.js';
import { FakeClock } from '../../../src/system/clock.js';
import { FakeRs485 } from './fake-rs485.js';

async function line() {
  const clock = new FakeClock();
  const wire = new FakeRs485(clock);
  const module = wire.module(1);
  await wire.open();
  const counters = emptyCounters();
  const rtu = new RtuLine(wire, clock, counters);
  rtu.start();
  return { clock, wire, module, counters, rtu };
}

const request = readRegisters(1, READ_HOLDING, 0, 2);

t.test(
  'a corrupted answer behind noise is a bad CRC only if nothing better comes by the deadline',
  async (t) => {
    const { clock, wire, module, counters, rtu } = await line();
    // A noise byte, then what looks like the answer with a wrong CRC: behind noise it may be a
    // misaligned guess, so the line keeps listening.
    const exchange = rtu.transact(request, 20);
    wire.inject(Uint8Array.of(0x07, 0x01, 0x03, 0x04, 0, 0, 0, 0, 0xde, 0xad));
    await clock.advanceAsync(200);
    const outcome = await exchange;
    t.equal(outcome.kind, 'reply', 'a good answer after the corrupted guess still wins');
    t.equal(counters.badCrc, 0);

    const second = rtu.transact(request, 20);
    module.mute = true;
    await clock.advanceAsync(0);
    wire.inject(Uint8Array.of(0x07, 0x01, 0x03, 0x04, 0, 0, 0, 0, 0xde, 0xad));
    await clock.advanceAsync(200);
    t.same(await second, { kind: 'badCrc' }, 'with nothing better by the deadline, a bad CRC');
    t.match(counters, { badCrc: 1, malformed: 2, timeouts: 0 });
  },
);

t.test('a stopped line ends what is under way and answers at once from then on', async (t) => {
  const { clock, module, rtu } = await line();
  module.mute = true;
  const under = rtu.transact(request, 50);
  await clock.advanceAsync(5);
  rtu.stop();
  rtu.stop();
  t.same(await under, { kind: 'lost', reason: 'line stopped' });
  t.same(await rtu.transact(request, 50), { kind: 'lost', reason: 'line stopped' });
  await rtu.wait(60_000);
  t.pass('a wait on a stopped line ends at once');
  t.equal(clock.pending, 0, 'no timer left behind');
});
