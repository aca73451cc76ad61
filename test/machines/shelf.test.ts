import t from 'tap';
import {
  type CalibrationJob,
  createShelfActor,
  healthOf,
  motionOf,
  type ShelfEmitted,
  type ShelfInput,
} from '../../src/machines/shelf.js';
import type { StatusEmitted } from '../../src/machines/status.js';
import type { Explanation, SensorOutput, ShelfChange } from '../../src/sensing/types.js';
import { FakeClock } from '../../src/system/clock.js';

const T0 = Date.UTC(2026, 10, 24, 7, 0, 0);

function change(deltaGrams: number, plates = [1]): ShelfChange {
  const plateDeltas = new Float64Array(4);
  for (const p of plates) plateDeltas[p] = deltaGrams / plates.length;
  return {
    type: 'change',
    startedAt: T0,
    settledAt: T0 + 1500,
    decidedAt: T0 + 1700,
    plates,
    plateDeltas,
    deltaGrams,
    sigmaGrams: 1,
  };
}

const cola: Explanation = {
  kind: 'items',
  direction: 'pick',
  items: [{ sku: 'cola-330', qty: 1, probability: 0.97 }],
  confidence: 0.97,
};

function shelf(options: Partial<ShelfInput> = {}) {
  const clock = new FakeClock(T0);
  const statuses: [string, string][] = [];
  const events: ShelfEmitted[] = [];
  const actor = createShelfActor(
    {
      shelfId: 'shelf-01',
      sources: ['board-a'],
      clock,
      explain: () => cola,
      calibrate: async () => 'done',
      ...options,
    },
    clock,
  );
  actor.on('status', (e: StatusEmitted) => statuses.push([e.status, e.reason]));
  actor.on('shelf', (e: ShelfEmitted) => events.push(e));
  actor.start();
  const sense = (output: SensorOutput) => actor.send({ type: 'sensor', output });
  return { clock, actor, statuses, events, sense };
}

t.test('a shelf goes online when its board is heard and offline when the board is lost', async (t) => {
  const { actor, statuses } = shelf({ sources: ['board-a', 'board-b'] });
  actor.send({ type: 'source.up', source: 'board-a' });
  t.same(statuses, [], 'not online until every board has been heard');
  actor.send({ type: 'source.up', source: 'board-b' });
  t.same(statuses.at(-1), ['online', 'connected']);
  actor.send({ type: 'source.down', source: 'board-b', reason: 'address 2 not answering (timeout)' });
  t.same(statuses.at(-1), ['degraded', 'address 2 not answering (timeout)'], 'one board of two down');
  actor.send({ type: 'source.down', source: 'board-a', reason: 'serial port /dev/ttyUSB0 disappeared' });
  t.equal(statuses.at(-1)?.[0], 'offline', 'every board down');
  actor.send({ type: 'source.up', source: 'board-a' });
  actor.send({ type: 'source.up', source: 'board-b' });
  t.same(statuses.at(-1), ['online', 'connected'], 'back when both answer again');
  actor.send({ type: 'source.down', source: 'board-z', reason: 'rs485-b failed to start: boom' });
  t.same(statuses.at(-1), ['online', 'connected'], "another shelf's board going down changes nothing here");
});

t.test('a settled change becomes a pick that names the item', async (t) => {
  const { sense, events, actor } = shelf();
  sense({ type: 'activity', at: T0, plates: [1] });
  t.equal(motionOf(actor.getSnapshot()), 'active');
  sense({ type: 'settling', at: T0 + 1500 });
  t.equal(motionOf(actor.getSnapshot()), 'settling');
  sense(change(-355.04));
  t.equal(motionOf(actor.getSnapshot()), 'idle');
  t.equal(events.length, 1);
  t.equal(events[0]?.kind, 'shelf.pick');
  t.match(events[0]?.data, {
    shelfId: 'shelf-01',
    plates: [1],
    deltaGrams: -355,
    items: [{ sku: 'cola-330', qty: 1 }],
    confidence: 0.97,
    startedAt: '2026-11-24T07:00:00.000Z',
    settledAt: '2026-11-24T07:00:01.500Z',
  });
  t.same(actor.getSnapshot().context.counts, { picks: 1, puts: 0, anomalies: 0, disturbances: 0 });
});

t.test('a change nothing explains is an anomaly with the reason, never a guessed item', async (t) => {
  const { sense, events } = shelf({
    explain: () => ({ kind: 'anomaly', reason: '-250 g on plate 1; nearest: 1 × cola-330 = -355 g' }),
  });
  sense({ type: 'activity', at: T0, plates: [1] });
  sense(change(-250));
  t.equal(events[0]?.kind, 'shelf.anomaly');
  t.match(events[0]?.data, { reason: /nearest/, deltaGrams: -250 });
  t.notOk('items' in (events[0]?.data ?? {}), 'no items on an anomaly');
});

t.test('a hand pressing and letting go is counted as a disturbance, not an event', async (t) => {
  const { sense, events, actor } = shelf();
  sense({ type: 'activity', at: T0, plates: [0, 1] });
  sense({ type: 'settling', at: T0 + 800 });
  sense({ type: 'activity', at: T0 + 900, plates: [0] });
  t.equal(motionOf(actor.getSnapshot()), 'active', 'moving again');
  sense({ type: 'disturbance', startedAt: T0, endedAt: T0 + 1200, peakGrams: 2000 });
  t.equal(motionOf(actor.getSnapshot()), 'idle');
  t.same(events, []);
  t.equal(actor.getSnapshot().context.counts.disturbances, 1);
});

t.test('a faulty plate degrades the shelf until the fault clears', async (t) => {
  const { sense, actor, statuses } = shelf();
  actor.send({ type: 'source.up', source: 'board-a' });
  sense({ type: 'fault', plate: 2, fault: 'stuck', at: T0, detail: 'no change in 60 s' });
  t.same(statuses.at(-1), ['degraded', 'plate 2 stuck (reading does not move)']);
  t.equal(healthOf(actor.getSnapshot()), 'fault');
  sense({ type: 'fault', plate: 3, fault: 'saturated', at: T0, detail: '' });
  t.match(statuses.at(-1)?.[1], /plate 2 stuck.*plate 3 saturated/);
  sense({ type: 'fault-cleared', plate: 2, fault: 'stuck', at: T0 });
  sense({ type: 'fault-cleared', plate: 3, fault: 'saturated', at: T0 });
  t.same(statuses.at(-1), ['online', 'connected']);
  t.equal(healthOf(actor.getSnapshot()), 'ok');
  sense({ type: 'fault', plate: 1, fault: 'no-signal', at: T0, detail: '' });
  sense({ type: 'fault', plate: 0, fault: 'noisy', at: T0, detail: '' });
  t.match(statuses.at(-1)?.[1], /plate 0 noisy.*plate 1 has no signal/);
});

t.test('calibration runs one job at a time and hides the technician’s weights from the events', async (t) => {
  let finish: (message: string) => void = () => {};
  const jobs: CalibrationJob[] = [];
  const { sense, actor, events } = shelf({
    calibrate: (job) => {
      jobs.push(job);
      return new Promise((resolve) => {
        finish = resolve;
      });
    },
  });
  const replies: unknown[] = [];
  actor.send({
    type: 'calibrate',
    job: { kind: 'span', plate: 1, grams: 1000 },
    reply: (r) => replies.push(r),
  });
  t.equal(motionOf(actor.getSnapshot()), 'calibrating');
  actor.send({ type: 'calibrate', job: { kind: 'tare', plates: [0] }, reply: (r) => replies.push(r) });
  t.same(replies, [{ ok: false, message: 'a calibration is already under way' }]);
  sense({ type: 'activity', at: T0, plates: [1] });
  sense(change(1000));
  t.same(events, [], 'the 1 kg test weight is not a put');
  finish('plate 1: 1000 g reads 1000.0 g');
  await new Promise((r) => setImmediate(r));
  t.equal(motionOf(actor.getSnapshot()), 'idle');
  t.same(replies.at(-1), { ok: true, message: 'plate 1: 1000 g reads 1000.0 g' });
  t.same(jobs, [{ kind: 'span', plate: 1, grams: 1000 }]);
});

t.test('a calibration is refused while the shelf moves, and a failed one says why', async (t) => {
  const { sense, actor } = shelf({
    calibrate: async () => {
      throw new Error('plate 0 did not settle within 10 s');
    },
  });
  const replies: unknown[] = [];
  sense({ type: 'activity', at: T0, plates: [0] });
  actor.send({ type: 'calibrate', job: { kind: 'tare', plates: [0] }, reply: (r) => replies.push(r) });
  sense({ type: 'settling', at: T0 + 100 });
  actor.send({ type: 'calibrate', job: { kind: 'tare', plates: [0] }, reply: (r) => replies.push(r) });
  t.same(replies, [
    { ok: false, message: 'the shelf is moving; try again once it is still' },
    { ok: false, message: 'the shelf is moving; try again once it is still' },
  ]);
  sense({ type: 'disturbance', startedAt: T0, endedAt: T0 + 300, peakGrams: 40 });
  actor.send({ type: 'calibrate', job: { kind: 'tare', plates: [0] }, reply: (r) => replies.push(r) });
  await new Promise((r) => setImmediate(r));
  t.same(replies.at(-1), { ok: false, message: 'plate 0 did not settle within 10 s' });
  t.equal(motionOf(actor.getSnapshot()), 'idle');
});

t.test('closing during a calibration answers the waiting command', async (t) => {
  const { actor } = shelf({ calibrate: () => new Promise(() => {}) });
  const replies: unknown[] = [];
  actor.send({ type: 'calibrate', job: { kind: 'tare', plates: [0] }, reply: (r) => replies.push(r) });
  actor.send({ type: 'close' });
  t.same(replies, [{ ok: false, message: 'the hub is stopping' }]);
  t.equal(actor.getSnapshot().status, 'done');
  t.equal(motionOf(actor.getSnapshot()), 'closed');
});

t.test('puts and picks in any motion state are decided; a put is counted as one', async (t) => {
  const { sense, events, actor } = shelf({
    explain: (c) => ({
      kind: 'items',
      direction: c.deltaGrams > 0 ? 'put' : 'pick',
      items: [{ sku: 'cola-330', qty: 1, probability: 0.9 }],
      confidence: 0.9,
    }),
  });
  sense(change(355));
  sense({ type: 'activity', at: T0, plates: [1] });
  sense(change(-355));
  t.same(
    events.map((e) => e.kind),
    ['shelf.put', 'shelf.pick'],
  );
  t.same(actor.getSnapshot().context.counts, { picks: 1, puts: 1, anomalies: 0, disturbances: 0 });
});
