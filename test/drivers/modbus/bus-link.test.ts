import t from 'tap';
import { ModbusRtuBus } from '../../../src/drivers/weight/modbus/bus.js';
import { FakeClock } from '../../../src/system/clock.js';
import { silentLogger } from '../../../src/system/log.js';
import { FakeRs485 } from './fake-rs485.js';
import { fourChannelProfile, load, openBus } from './setup.js';

const two = [
  { id: 'a', address: 1 },
  { id: 'b', address: 2 },
];

t.test('zero writes the profile register between two polls and resolves on the echo', async (t) => {
  const { clock, wire, modules, bus } = await openBus(two);
  await clock.advanceAsync(20); // a poll is on the wire
  let zeroed = false;
  const zero = bus.zero('b').then(() => {
    zeroed = true;
  });
  const asked = clock.now();
  await clock.advanceAsync(100);
  await zero;
  t.ok(zeroed);
  t.equal(modules[1]?.holding.get(16), 1, 'the module got 1 in register 16');
  const write = wire.requests.find((r) => r.fn === 6);
  t.same(Array.from(write?.bytes.subarray(0, 6) ?? []), [2, 6, 0, 16, 0, 1], '0x06 to address 2');
  const before = wire.requests.filter((r) => r.at < (write?.at as number));
  const lastPoll = before.at(-1);
  t.ok((lastPoll?.at as number) < asked, 'the poll under way was finished first');
  t.ok(
    wire.replies.some((r) => r.at > asked && r.at < (write?.at as number)),
    'its answer came before the write went out',
  );
  t.equal(wire.collisions, 0);
});

t.test('a module that takes only write-multiple gets its zero as 0x10', async (t) => {
  const profile = fourChannelProfile({ zero: { function: 16, register: 100, value: 255 } });
  const { clock, wire, modules, bus } = await openBus([{ id: 'f', address: 7, profile }]);
  const zero = bus.zero('f');
  await clock.advanceAsync(200);
  await zero;
  t.equal(modules[0]?.holding.get(100), 255);
  t.same(
    Array.from(wire.requests.find((r) => r.fn === 16)?.bytes.subarray(0, 9) ?? []),
    [7, 16, 0, 100, 0, 1, 2, 0, 255],
  );
});

t.test('zero is refused with the reason when it cannot be done', async (t) => {
  const noZero = fourChannelProfile({ zero: undefined, model: 'no-zero-4ch' });
  const { clock, modules, bus } = await openBus([
    { id: 'a', address: 1 },
    { id: 'n', address: 2, profile: noZero },
  ]);
  await t.rejects(bus.zero('n'), /^board n \(no-zero-4ch\) has no zero command in its profile$/);
  await t.rejects(bus.zero('x'), /^bus bus-1 has no board x$/);

  (modules[0] as { mute: boolean }).mute = true;
  const silent = bus.zero('a');
  const assertion = t.rejects(silent, /^board a was not zeroed: address 1 not answering \(timeout\)$/);
  await clock.advanceAsync(1000);
  await assertion;

  (modules[0] as { mute: boolean }).mute = false;
  (modules[0] as { refuseWrites: number }).refuseWrites = 3;
  await clock.advanceAsync(2000);
  const refused = bus.zero('a');
  const refusal = t.rejects(
    refused,
    /^board a was not zeroed: address 1: exception 3 \(illegal data value\) x3$/,
  );
  await clock.advanceAsync(1000);
  await refusal;

  await bus.close();
  await t.rejects(bus.zero('a'), /^bus bus-1 is not open$/);
});

t.test('a zero that answers brings an offline module to a probe at once', async (t) => {
  const { clock, wire, modules, bus, statuses } = await openBus(two);
  (modules[1] as { mute: boolean }).mute = true;
  await clock.advanceAsync(2000);
  t.match(statuses.at(-1), { boardId: 'b', online: false });
  (modules[1] as { mute: boolean }).mute = false;
  const asked = clock.now();
  const zero = bus.zero('b');
  await clock.advanceAsync(150);
  await zero;
  t.match(statuses.at(-1), { boardId: 'b', online: true }, 'online without waiting out its backoff');
  t.ok(wire.requestsTo(2).filter((r) => r.at >= asked).length >= 2, 'the write, then a poll');
});

t.test('a zero still queued when the bus closes is rejected', async (t) => {
  const { clock, bus } = await openBus(two);
  await clock.advanceAsync(10);
  const pending = bus.zero('a');
  await bus.close();
  await t.rejects(pending, /^board a was not zeroed: bus bus-1 closed$/);
});

t.test('a zero under way when the bus closes is rejected', async (t) => {
  const { clock, modules, bus } = await openBus(two);
  (modules[0] as { mute: boolean }).mute = true;
  await clock.advanceAsync(500);
  const pending = bus.zero('a');
  await clock.advanceAsync(30);
  await bus.close();
  await t.rejects(pending, /^bus bus-1 closed before board a was zeroed$/);
});

t.test("open rejects with the port's own reason, and nothing is polled", async (t) => {
  const { wire, bus, clock } = await openBus(two, { open: false });
  wire.openError = 'no serial port at /dev/ttyFAKE0: is the adapter plugged in?';
  await t.rejects(bus.open(), { message: wire.openError });
  await clock.advanceAsync(1000);
  t.equal(wire.requests.length, 0);
  wire.openError = undefined;
  await bus.open();
  await clock.advanceAsync(100);
  t.ok(wire.requests.length > 0, 'opens once the port is there');
});

t.test('opening twice at once opens the port once; opening an open bus is a no-op', async (t) => {
  const { wire, bus } = await openBus(two, { open: false });
  await Promise.all([bus.open(), bus.open()]);
  await bus.open();
  t.equal(wire.opens, 1);
});

t.test('a bus closed while its port opens does not start polling', async (t) => {
  const { wire, bus, clock } = await openBus(two, { open: false });
  const opening = bus.open();
  await bus.close();
  await t.rejects(opening, /^bus bus-1 was closed while its port was opening$/);
  await clock.advanceAsync(1000);
  t.equal(wire.requests.length, 0);
  t.notOk(wire.isOpen, 'the port was closed again');
});

t.test('a lost port is reported once, polling stops, and a reopen starts afresh', async (t) => {
  const { clock, wire, bus, batches, statuses, lost } = await openBus(two);
  await clock.advanceAsync(500);
  const pending = bus.zero('a');
  wire.lose('serial port /dev/ttyFAKE0 disappeared');
  wire.lose('serial port /dev/ttyFAKE0 disappeared');
  t.same(lost, ['serial port /dev/ttyFAKE0 disappeared'], 'once');
  await t.rejects(pending, /was not zeroed: serial port \/dev\/ttyFAKE0 disappeared/);
  const sent = wire.requests.length;
  const heard = batches.length;
  const told = statuses.length;
  await clock.advanceAsync(2000);
  t.equal(wire.requests.length, sent, 'no request after the loss');
  t.same([batches.length, statuses.length], [heard, told], 'nothing heard from the bus');

  await bus.open();
  await clock.advanceAsync(500);
  t.ok(batches.length > heard, 'samples again');
  t.same(
    statuses.slice(told).map((s) => [s.boardId, s.online]),
    [
      ['a', true],
      ['b', true],
    ],
    'each module reported again after the reopen',
  );
  t.match(bus.counters(), { frames: batches.length - heard }, 'counters start again with the port');
});

t.test('a write that fails is the loss of the port', async (t) => {
  const { clock, wire, lost } = await openBus(two);
  await clock.advanceAsync(100);
  wire.writeError = 'writing to /dev/ttyFAKE0 failed: EIO';
  await clock.advanceAsync(200);
  t.same(lost, ['serial port lost: writing to /dev/ttyFAKE0 failed: EIO']);
});

t.test('a listener that throws ends the session as a loss instead of crashing the hub', async (t) => {
  const { clock, bus, lost } = await openBus(two, { open: false });
  let calls = 0;
  bus.onData(() => {
    calls++;
    throw new Error('boom');
  });
  await bus.open();
  await clock.advanceAsync(500);
  t.same(lost, ['poll loop failed: boom']);
  t.equal(calls, 1, 'polling stopped');
});

t.test('after close nothing is heard, even from an answer under way; close never rejects', async (t) => {
  const { clock, wire, bus, batches, statuses, lost } = await openBus(two);
  await clock.advanceAsync(100);
  wire.closeError = 'EIO on close';
  const heard = batches.length;
  await bus.close();
  await bus.close();
  await clock.advanceAsync(1000);
  t.equal(batches.length, heard);
  t.same(lost, [], 'a close is not a loss');
  t.equal(statuses.length, 2);
  t.match(bus.boards(), [
    { online: undefined, rateHz: 0, reason: 'bus bus-1 closed' },
    { online: undefined, rateHz: 0, reason: 'bus bus-1 closed' },
  ]);
});

t.test('a bus without boards, or with one address twice, is a configuration error', async (t) => {
  const clock = new FakeClock();
  const options = { id: 'bus-x', transport: new FakeRs485(clock), clock, log: silentLogger() };
  const profile = fourChannelProfile();
  t.throws(() => new ModbusRtuBus({ ...options, boards: [] }), /bus bus-x has no boards/);
  t.throws(
    () =>
      new ModbusRtuBus({
        ...options,
        boards: [
          { id: 'a', address: 1, profile },
          { id: 'b', address: 1, profile },
        ],
      }),
    /board b repeats an id or address 1/,
  );
  t.throws(
    () => new ModbusRtuBus({ ...options, boards: [{ id: 'a', address: 0, profile }] }),
    /1-247, not 0/,
  );
});

t.test('the achieved rate drops for everyone when a module answers slowly', async (t) => {
  const slow = await openBus(two, { prepare: ([a]) => load(a, [1, 2, 3, 4]) });
  await slow.clock.advanceAsync(2000);
  const fast = slow.bus.boards()[0]?.rateHz as number;
  (slow.modules[0] as { thinkMs: number }).thinkMs = 40;
  await slow.clock.advanceAsync(3000);
  const after = slow.bus.boards()[1]?.rateHz as number;
  t.ok(after < fast * 0.8, `${fast.toFixed(1)} Hz before, ${after.toFixed(1)} Hz with a slow neighbour`);
});
