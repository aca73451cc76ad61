import t from 'tap';
import {
  createStoreActor,
  freshStore,
  inEmergency,
  memoryOf,
  type StoreEmitted,
  type StoreMemory,
  soleTrip,
} from '../../src/machines/store.js';
import { FakeClock } from '../../src/system/clock.js';

function storeUnderTest(memory: StoreMemory = freshStore) {
  const actor = createStoreActor(memory, new FakeClock());
  const events: StoreEmitted[] = [];
  actor.on('event', (e) => events.push(e));
  actor.start();
  const kinds = () => events.map((e) => e.kind);
  const trip = (tripId: string, partySize = 1, gateId = 'gate-in') =>
    actor.send({
      type: 'trip.start',
      trip: { tripId, gateId, credentialKind: 'qr', partySize },
      credentialRef: `qr:${tripId}`,
    });
  const pass = (
    direction: 'in' | 'out',
    tripId?: string,
    gateId = direction === 'in' ? 'gate-in' : 'gate-out',
  ) => actor.send({ type: 'passage', gateId, direction, ...(tripId ? { tripId } : {}) });
  return { actor, events, kinds, trip, pass, context: () => actor.getSnapshot().context };
}

t.test(
  'a trip starts, its shoppers enter, the one trip inside owns the exits, and an empty store has no trips',
  async (t) => {
    const store = storeUnderTest();
    store.trip('t1', 2);
    store.pass('in', 't1');
    store.pass('in', 't1');
    t.same(
      store.events.slice(0, 3).map((e) => [e.kind, e.data]),
      [
        [
          'trip.started',
          { tripId: 't1', gateId: 'gate-in', credentialKind: 'qr', partySize: 2, credentialRef: 'qr:t1' },
        ],
        ['shopper.entered', { tripId: 't1', gateId: 'gate-in' }],
        ['shopper.entered', { tripId: 't1', gateId: 'gate-in' }],
      ],
    );
    t.equal(store.context().occupancy, 2);
    t.equal(soleTrip(store.context())?.tripId, 't1', 'shelf events can name the trip');
    store.pass('out');
    store.pass('out');
    t.same(
      store.events.slice(3).map((e) => e.data),
      [
        { gateId: 'gate-out', tripId: 't1' },
        { gateId: 'gate-out', tripId: 't1' },
      ],
    );
    t.equal(store.context().occupancy, 0);
    t.same(store.context().trips, [], 'the trip is over');
  },
);

t.test('with two trips inside an exit is not attributed, and nor is a shelf event', async (t) => {
  const store = storeUnderTest();
  store.trip('a');
  store.pass('in', 'a');
  store.trip('b');
  store.pass('in', 'b');
  t.equal(soleTrip(store.context()), undefined);
  store.pass('out');
  t.same(store.events.at(-1)?.data, { gateId: 'gate-out' }, 'no tripId when it could be either');
  store.pass('out');
  t.equal(store.context().occupancy, 0);
  t.same(store.context().trips, [], 'the empty store reconciles both trips');
});

t.test(
  'someone in without a trip makes attribution uncertain; occupancy never goes below zero',
  async (t) => {
    const store = storeUnderTest();
    store.trip('a');
    store.pass('in', 'a');
    store.pass('in'); // a tailgater
    t.equal(store.context().strangers, 1);
    t.equal(soleTrip(store.context()), undefined);
    store.pass('out');
    t.same(store.events.at(-1)?.data, { gateId: 'gate-out' });
    store.pass('out');
    store.pass('out');
    t.equal(store.context().occupancy, 0, 'not -1');
    t.same(store.events.filter((e) => e.kind === 'shopper.exited').length, 3, 'every exit is still reported');
  },
);

t.test('a trip whose party walked away is dropped; one with someone inside is kept', async (t) => {
  const store = storeUnderTest();
  store.trip('gone');
  store.trip('kept');
  store.pass('in', 'kept');
  store.actor.send({ type: 'walkAway', tripId: 'gone' });
  store.actor.send({ type: 'walkAway', tripId: 'kept' });
  t.same(
    store.context().trips.map((tr) => tr.tripId),
    ['kept'],
    'a trip with someone inside stays',
  );
});

t.test('a passage of an unknown trip still counts the person, as a stranger', async (t) => {
  const store = storeUnderTest();
  store.pass('in', 'never-started');
  t.equal(store.context().occupancy, 1);
  t.equal(store.context().strangers, 1);
  t.notOk(store.kinds().includes('shopper.entered'));
});

t.test('a fire alarm declares the emergency, latches when it clears, and only a reset ends it', async (t) => {
  const store = storeUnderTest();
  store.actor.send({ type: 'fire', gateId: 'gate-in', active: true });
  t.ok(inEmergency(store.actor.getSnapshot()));
  t.same(
    store.events.map((e) => [e.kind, e.data]),
    [['emergency', { state: 'active', source: 'fire alarm input at gate-in' }]],
  );
  t.equal(store.context().emergencySource, 'fire alarm input at gate-in', 'the mode can name it');
  const replies: Array<{ ok: boolean; message: string }> = [];
  store.actor.send({ type: 'emergency.reset', reply: (r) => replies.push(r) });
  t.equal(replies[0]?.ok, false, 'no reset while the alarm is on');
  t.match(replies[0]?.message, /still on at gate-in/);
  store.actor.send({ type: 'fire', gateId: 'gate-in', active: false });
  t.ok(inEmergency(store.actor.getSnapshot()), 'latched after the alarm clears');
  t.equal(memoryOf(store.actor.getSnapshot()).emergency, 'latched');
  store.actor.send({ type: 'fire', gateId: 'gate-in', active: true });
  t.same(
    store.events.slice(1).map((e) => e.kind),
    ['emergency'],
    'an alarm back while latched is announced again',
  );
  store.actor.send({ type: 'fire', gateId: 'gate-in', active: false });
  store.actor.send({ type: 'emergency.reset', reply: (r) => replies.push(r) });
  t.equal(replies[1]?.ok, true);
  t.notOk(inEmergency(store.actor.getSnapshot()));
  t.same(
    store.events.slice(2).map((e) => [e.kind, e.data]),
    [['emergency', { state: 'cleared' }]],
  );
  store.actor.send({ type: 'emergency.reset', reply: (r) => replies.push(r) });
  t.same(replies[2], { ok: false, message: 'there is no emergency to reset' });
});

t.test('two fire inputs: the emergency latches only when both are clear', async (t) => {
  const store = storeUnderTest();
  store.actor.send({ type: 'fire', gateId: 'a', active: true });
  store.actor.send({ type: 'fire', gateId: 'b', active: true });
  store.actor.send({ type: 'fire', gateId: 'a', active: false });
  t.equal(memoryOf(store.actor.getSnapshot()).emergency, 'active');
  store.actor.send({ type: 'fire', gateId: 'b', active: false });
  t.equal(memoryOf(store.actor.getSnapshot()).emergency, 'latched');
});

t.test('a commanded emergency latches at once and names its source', async (t) => {
  const store = storeUnderTest();
  store.actor.send({ type: 'emergency.trigger', source: 'command from technician' });
  t.equal(memoryOf(store.actor.getSnapshot()).emergency, 'latched');
  t.same(store.events[0]?.data, { state: 'active', source: 'command from technician' });
});

t.test('closing the store ends the day: no trips, nobody counted inside', async (t) => {
  const store = storeUnderTest();
  store.trip('late');
  store.pass('in', 'late');
  store.actor.send({ type: 'mode.set', mode: 'closed' });
  t.equal(store.context().mode, 'closed');
  t.same([store.context().occupancy, store.context().trips.length], [0, 0]);
});

t.test('what the store remembers comes back after a restart, the latch included', async (t) => {
  const before = storeUnderTest();
  before.trip('t1');
  before.pass('in', 't1');
  before.actor.send({ type: 'emergency.trigger', source: 'drill' });
  const memory = memoryOf(before.actor.getSnapshot());
  t.same(JSON.parse(JSON.stringify(memory)), memory, 'plain JSON');
  const after = storeUnderTest(memory);
  t.equal(after.context().occupancy, 1);
  t.equal(soleTrip(after.context())?.tripId, 't1');
  t.equal(memoryOf(after.actor.getSnapshot()).emergency, 'latched', 'still waiting for a person to reset');
  t.same(after.events, [], 'a restart announces nothing by itself');
});

t.test(
  'after a restart an emergency is latched, so a reset is possible even if no fire input reports',
  async (t) => {
    const store = storeUnderTest({ ...freshStore, emergency: 'active' });
    t.ok(inEmergency(store.actor.getSnapshot()));
    t.equal(memoryOf(store.actor.getSnapshot()).emergency, 'latched');
    let reply: { ok: boolean } | undefined;
    store.actor.send({ type: 'emergency.reset', reply: (r) => (reply = r) });
    t.equal(reply?.ok, true);
  },
);

t.test('a trip whose party had not come through when the hub stopped is not restored', async (t) => {
  const store = storeUnderTest({
    ...freshStore,
    trips: [
      { tripId: 'inside', gateId: 'g', credentialKind: 'qr', partySize: 1, entered: 1, inside: 1 },
      { tripId: 'at-the-gate', gateId: 'g', credentialKind: 'qr', partySize: 1, entered: 0, inside: 0 },
    ],
    occupancy: 1,
  });
  t.same(
    store.context().trips.map((tr) => tr.tripId),
    ['inside'],
  );
});

t.test('the store emptying keeps a trip whose party is still at the gate', async (t) => {
  const store = storeUnderTest();
  store.trip('a');
  store.pass('in', 'a');
  store.trip('b');
  store.pass('out');
  t.same(
    store.context().trips.map((tr) => tr.tripId),
    ['b'],
    'a left; b has not come in yet',
  );
  store.pass('in', 'b');
  t.same(store.events.at(-1)?.data, { tripId: 'b', gateId: 'gate-in' }, 'b enters as its trip');
  t.equal(soleTrip(store.context())?.tripId, 'b');
});
