import t from 'tap';
import { frameSilenceMs } from '../../../src/drivers/weight/modbus/line.js';
import { modbusProfileSchema } from '../../../src/drivers/weight/modbus/profile.js';
import { fourChannelProfile, load, openBus } from './setup.js';

const three = [
  { id: 'a', address: 1 },
  { id: 'b', address: 2 },
  { id: 'c', address: 3 },
];

const plain = (values: Float32Array) => Array.from(values, (v) => (Number.isNaN(v) ? 'NaN' : v));

t.test('live modules are polled in turn, each answer a one-sample batch timed at its arrival', async (t) => {
  const { clock, wire, modules, bus, batches, statuses } = await openBus(three, {
    prepare: ([a, b]) => {
      load(a, [100, 200, 300, 400]);
      load(b, [-50, 0, 50, 1000]);
    },
  });
  await clock.advanceAsync(1000);
  t.ok(batches.length >= 18, `${batches.length} samples in a second at 9600 baud`);
  t.same(
    batches.slice(0, 6).map((b) => b.boardId),
    ['a', 'b', 'c', 'a', 'b', 'c'],
    'round robin',
  );
  const [first, second] = batches as [(typeof batches)[0], (typeof batches)[0]];
  t.equal(first.t0, wire.replies[0]?.at, 'a sample is timed when its answer arrived');
  t.same([first.channels, first.values.length], [4, 4], 'one sample of four plates');
  t.same(plain(first.values), [100, 200, 300, 400]);
  t.same(plain(second.values), [-50, 0, 50, 1000]);
  t.equal(wire.collisions, 0, 'never two requests on the wire');
  t.same(
    statuses,
    three.map((b) => ({ boardId: b.id, online: true, reason: `address ${b.address} answering` })),
    'each module reported online once, at its first answer',
  );
  t.match(bus.counters(), { frames: batches.length, badCrc: 0, timeouts: 0, malformed: 0, lostSamples: 0 });

  load(modules[0], [100, 200, 300, 900]);
  await clock.advanceAsync(200);
  t.equal(
    batches.filter((b) => b.boardId === 'a').at(-1)?.values[3],
    900,
    'a new load shows at the next poll',
  );
});

t.test('every request waits the inter-frame silence t3.5 after the last byte on the line', async (t) => {
  for (const [baudRate, silence] of [
    [9600, (3.5 * 11_000) / 9600],
    [19_200, (3.5 * 11_000) / 19_200],
    [38_400, 1.75],
    [115_200, 1.75],
  ] as const) {
    t.ok(Math.abs(frameSilenceMs(baudRate) - silence) < 1e-9, `${baudRate} baud: ${silence.toFixed(2)} ms`);
    const { clock, wire } = await openBus(three, { baudRate });
    await clock.advanceAsync(500);
    const gaps = wire.requests.slice(1).map((r, i) => r.at - (wire.replies[i]?.at as number));
    t.ok(Math.min(...gaps) >= silence, `${baudRate} baud: shortest gap ${Math.min(...gaps)} ms`);
    t.ok(Math.max(...gaps) < silence + 1, 'and no longer than a timer tick more: as fast as the bus allows');
  }
});

t.test('the achieved poll rate of each module is reported and is what the samples show', async (t) => {
  const { clock, bus, batches } = await openBus(three);
  await clock.advanceAsync(3000);
  const times = batches.filter((b) => b.boardId === 'b').map((b) => b.t0);
  const actual = ((times.length - 1) * 1000) / ((times.at(-1) as number) - (times[0] as number));
  for (const report of bus.boards()) {
    t.ok(
      Math.abs(report.rateHz - actual) < 0.05 * actual,
      `${report.boardId}: ${report.rateHz.toFixed(2)} Hz`,
    );
    t.match(report, { online: true, model: 'test-4ch-int32', reason: /answering/ });
  }
  t.ok(Math.abs((batches.at(-1)?.rateHz as number) - actual) < 0.05 * actual, 'batches carry the same rate');
  t.ok(
    Math.abs((batches[0]?.rateHz as number) - actual) < 0.25 * actual,
    'the first is estimated from the wire',
  );
});

t.test('a module that stops answering is retried, goes offline, and the others keep the bus', async (t) => {
  const { clock, wire, modules, bus, batches, statuses } = await openBus(three);
  await clock.advanceAsync(500);
  statuses.length = 0;
  (modules[2] as { mute: boolean }).mute = true;
  let atOffline = bus.counters();
  bus.onBoardStatus(() => {
    atOffline = bus.counters();
  });
  await clock.advanceAsync(1000);
  t.same(statuses, [{ boardId: 'c', online: false, reason: 'address 3 not answering (timeout)' }]);
  t.equal(atOffline.timeouts, 3, 'the first try and two retries');
  t.equal(atOffline.lostSamples, 1, 'its missed poll is a lost sample');
  t.match(bus.boards()[2], { online: false, rateHz: 0, reason: 'address 3 not answering (timeout)' });

  const start = clock.now();
  batches.length = 0;
  await clock.advanceAsync(40_000);
  const probes = wire.requestsTo(3).filter((r) => r.at >= start);
  const gaps = probes.slice(1).map((p, i) => p.at - (probes[i]?.at as number));
  t.ok(probes.length >= 5 && probes.length <= 8, `probed ${probes.length} times in 40 s, once each`);
  t.ok(
    gaps.every((g, i) => i === 0 || g >= (gaps[i - 1] as number) - 100),
    `probes grow apart: ${gaps.join(', ')}`,
  );
  t.ok(Math.max(...gaps) <= 10_200, 'capped at 10 s');
  t.equal(statuses.length, 1, 'probes that fail alike are not reported again');
  const rate = batches.filter((b) => b.boardId === 'a').length / 40;
  t.ok(rate > 10, `a keeps ${rate.toFixed(1)} Hz: the dead module does not eat its bus time`);
});

t.test('an offline module goes online at its first good answer, within the probe backoff', async (t) => {
  const { clock, modules, bus, batches, statuses } = await openBus(three);
  (modules[1] as { mute: boolean }).mute = true;
  await clock.advanceAsync(3000);
  t.match(statuses.filter((s) => s.boardId === 'b').at(-1), { online: false });
  (modules[1] as { mute: boolean }).mute = false;
  load(modules[1], [1, 2, 3, 4]);
  const back = clock.now();
  await clock.advanceAsync(5000);
  t.match(statuses.at(-1), { boardId: 'b', online: true, reason: 'address 2 answering' });
  const firstBack = batches.find((b) => b.boardId === 'b' && b.t0 >= back);
  t.ok(firstBack && (firstBack.t0 as number) - back <= 2100, 'back within the current backoff');
  t.same(plain(firstBack?.values as Float32Array), [1, 2, 3, 4]);
  t.match(bus.boards()[1], { online: true });
});

t.test('a module absent from the start is reported offline, never online', async (t) => {
  const { clock, wire, statuses, batches } = await openBus(three);
  wire.modules.delete(2);
  await clock.advanceAsync(0);
  await clock.advanceAsync(2000);
  t.same(
    statuses.filter((s) => s.boardId === 'b'),
    [{ boardId: 'b', online: false, reason: 'address 2 not answering (timeout)' }],
  );
  t.notOk(
    batches.some((b) => b.boardId === 'b'),
    'no sample from it',
  );
});

t.test('one bad CRC is counted and retried; the sample still arrives and no value is invented', async (t) => {
  const { clock, modules, bus, batches, statuses } = await openBus([{ id: 'a', address: 1 }], {
    prepare: ([a]) => load(a, [10, 20, 30, 40]),
  });
  await clock.advanceAsync(200);
  modules[0]?.faults.push('badCrc');
  const n = batches.length;
  await clock.advanceAsync(500);
  t.equal(bus.counters().badCrc, 1);
  t.ok(batches.length > n);
  t.ok(
    batches.every((b) => plain(b.values).join() === '10,20,30,40'),
    'every sample has the true load',
  );
  t.equal(statuses.length, 1, 'still online');
});

t.test('bad CRCs on every try take a module offline, saying so', async (t) => {
  const { clock, modules, bus, statuses } = await openBus([
    { id: 'a', address: 1 },
    { id: 'b', address: 2 },
  ]);
  await clock.advanceAsync(100);
  modules[1]?.faults.push('badCrc', 'badCrc', 'badCrc');
  await clock.advanceAsync(500);
  t.match(statuses.at(-1), { boardId: 'b', online: false, reason: 'address 2: bad CRC x3' });
  t.equal(bus.counters().badCrc, 3);
  await clock.advanceAsync(1000);
  t.match(statuses.at(-1), { boardId: 'b', online: true }, 'and back at the next probe');
});

t.test(
  'an exception reply is a device error; a module that keeps refusing goes offline with it',
  async (t) => {
    const { clock, bus, statuses } = await openBus([{ id: 'a', address: 1 }], {
      prepare: ([a]) => {
        (a as { size: number }).size = 4;
      },
    });
    await clock.advanceAsync(500);
    t.same(statuses, [
      { boardId: 'a', online: false, reason: 'address 1: exception 2 (illegal data address) x3' },
    ]);
    t.equal(bus.counters().deviceErrors, 3);

    const mixed = await openBus([{ id: 'a', address: 1 }], {
      prepare: ([a]) => a?.faults.push('silent', { exception: 6 }, { exception: 4 }),
    });
    await mixed.clock.advanceAsync(500);
    t.same(mixed.statuses[0], {
      boardId: 'a',
      online: false,
      reason: 'address 1: exception 4 (device failure)',
    });
  },
);

t.test('a reply cut short is waited for until the deadline, counted as malformed, and retried', async (t) => {
  const { clock, modules, bus, batches, statuses } = await openBus([{ id: 'a', address: 1 }], {
    prepare: ([a]) => {
      load(a, [5, 6, 7, 8]);
      a?.faults.push('truncate');
    },
  });
  await clock.advanceAsync(300);
  t.match(bus.counters(), { malformed: 1, timeouts: 0, badCrc: 0 });
  t.same(plain(batches[0]?.values as Float32Array), [5, 6, 7, 8], 'the retry got the whole answer');
  t.equal(statuses.length, 1);
  modules[0]?.faults.push('truncate', 'truncate', 'truncate');
  await clock.advanceAsync(500);
  t.match(statuses.at(-1), { online: false, reason: 'address 1: reply cut short x3' });
});

t.test('stray bytes on an idle line are dropped and counted once per burst', async (t) => {
  const { clock, wire, bus, batches } = await openBus([{ id: 'a', address: 1 }], {
    prepare: ([a]) => load(a, [1, 1, 1, 1]),
  });
  // Just after the first reply the line is idle for t3.5: noise goes there.
  while (wire.replies.length === 0) await clock.advanceAsync(1);
  wire.inject(Uint8Array.of(0x01, 0x03, 0xff));
  wire.inject(Uint8Array.of(0x55));
  await clock.advanceAsync(300);
  t.equal(bus.counters().malformed, 1, 'one burst');
  t.ok(batches.length > 1);
  t.ok(
    batches.every((b) => plain(b.values).join() === '1,1,1,1'),
    'the noise became no sample',
  );
});

t.test('noise ahead of an answer is skipped and the answer still read', async (t) => {
  const { clock, bus, batches } = await openBus([{ id: 'a', address: 1 }], {
    prepare: ([a]) => {
      load(a, [7, 7, 7, 7]);
      a?.faults.push({ garbageFirst: Uint8Array.of(0x00, 0x01, 0x03, 0x07, 0xfe) });
    },
  });
  await clock.advanceAsync(100);
  t.same(plain(batches[0]?.values as Float32Array), [7, 7, 7, 7]);
  t.match(bus.counters(), { frames: batches.length, malformed: 1, timeouts: 0 });
});

t.test("a late answer is not taken for the next module's", async (t) => {
  const hasty = fourChannelProfile({ timing: { responseTimeoutMs: 10, retries: 0 } });
  const { clock, bus, batches } = await openBus(
    [
      { id: 'a', address: 1, profile: hasty },
      { id: 'b', address: 2, profile: hasty },
    ],
    {
      prepare: ([a, b]) => {
        load(a, [1, 1, 1, 1]);
        load(b, [2, 2, 2, 2]);
        a?.faults.push({ lateMs: 30 });
      },
    },
  );
  await clock.advanceAsync(1000);
  t.ok(batches.some((b) => b.boardId === 'b'));
  t.ok(
    batches.every((b) => b.values[0] === (b.boardId === 'a' ? 1 : 2)),
    'each module reads its own load',
  );
  t.ok(bus.counters().malformed >= 1, 'the late answer was dropped as malformed');
});

t.test(
  'readings that cannot be a load are NaN in their channel and counted; no phantom change',
  async (t) => {
    const { clock, bus, batches } = await openBus([{ id: 'a', address: 1 }], {
      prepare: ([a]) => {
        load(a, [100, 70_000, 300, 400]);
        a?.holding.set(8, 0b1000_0000_0001);
      },
    });
    await clock.advanceAsync(100);
    t.same(
      plain(batches[0]?.values as Float32Array),
      ['NaN', 'NaN', 300, 'NaN'],
      'overload, beyond range, ADC error',
    );
    t.match(
      bus.counters(),
      { outOfRange: 2 * batches.length, deviceErrors: batches.length },
      'at every poll',
    );
  },
);

t.test(
  'a float32 module in kilograms reads grams, NaN and infinity from it count as out of range',
  async (t) => {
    const profile = modbusProfileSchema.parse({
      protocol: 'modbus-rtu',
      model: 'test-8ch-float32',
      description: 'eight float channels',
      channels: 8,
      registers: { function: 4, start: 0, type: 'float32', wordOrder: 'little' },
      unit: 'grams',
      scale: 1000,
      range: { min: -2000, max: 50_000 },
      status: { function: 4, register: 20, overloadBits: [0, 1, 2, 3, 4, 5, 6, 7] },
    });
    const { clock, wire, bus, batches } = await openBus([{ id: 'f', address: 9, profile }], {
      baudRate: 38_400,
      prepare: ([m]) => {
        const kilograms = [0.25, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 12, 0, -0.5, 49];
        for (const [c, kg] of kilograms.entries()) m?.setFloat32(2 * c, kg);
      },
    });
    await clock.advanceAsync(100);
    t.same(plain(batches[0]?.values as Float32Array), [250, 1500, 'NaN', 'NaN', 12_000, 0, -500, 49_000]);
    t.equal(bus.counters().outOfRange, 2 * batches.length);
    t.same(
      wire.requests.slice(0, 2).map((r) => r.fn),
      [4, 4],
      'a status register apart from the values is a second read',
    );
  },
);

t.test('a poll of several reads gives no sample when one of them fails', async (t) => {
  const profile = modbusProfileSchema.parse({
    protocol: 'modbus-rtu',
    model: 'test-2ch-counts',
    description: 'two channels apart',
    channels: 2,
    registers: { function: 3, addresses: [0, 16], type: 'int32' },
    unit: 'counts',
    range: { min: -8_388_608, max: 8_388_607 },
    timing: { responseTimeoutMs: 20, retries: 1 },
  });
  const { clock, modules, batches, statuses } = await openBus([{ id: 'k', address: 4, profile }], {
    prepare: ([m]) => {
      m?.setInt32(0, -123_456);
      m?.setInt32(16, 654_321);
    },
  });
  const m = modules[0] as NonNullable<(typeof modules)[0]>;
  await clock.advanceAsync(100);
  t.same(plain(batches[0]?.values as Float32Array), [-123_456, 654_321]);
  m.size = 10;
  await clock.advanceAsync(30);
  const n = batches.length;
  await clock.advanceAsync(300);
  t.equal(batches.length, n, 'no half sample');
  t.match(statuses.at(-1), { online: false, reason: /exception 2/ });
});

t.test('with every module offline the bus only probes, and sleeps in between', async (t) => {
  const { clock, wire, modules } = await openBus(three);
  for (const m of modules) m.mute = true;
  await clock.advanceAsync(60_000);
  t.ok(wire.requests.length < 3 * 3 + 3 * 12, `${wire.requests.length} requests in a minute`);
  t.ok(clock.pending <= 2, 'one timer waiting, no busy loop');
});
