import { join } from 'node:path';
import t from 'tap';
import { loadGateProfile } from '../../src/drivers/gpio/gate-profile.js';
import { devicesDir } from '../../src/drivers/profile-file.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { type EntryCloud, entryDesk, palmRef } from '../../src/machines/entry.js';
import { createGateActor, gateStateOf } from '../../src/machines/gate.js';
import { createStoreActor, freshStore, type StoreEmitted } from '../../src/machines/store.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';
import { captureLog } from '../helpers/log-capture.js';
import { tokenMint, verifierFor } from '../helpers/qr-tokens.js';
import type { TestContext } from '../helpers/tap-types.js';

const salt = Buffer.from('0123456789abcdef');

async function deskUnderTest(t: TestContext, cloud: Partial<EntryCloud> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 10, 24, 7));
  const store = createStoreActor(freshStore, clock);
  const events: StoreEmitted[] = [];
  store.on('event', (e) => events.push(e));
  store.start();
  const { x, mint } = await tokenMint();
  const asked: Array<Record<string, unknown>> = [];
  const capture = captureLog();
  let trip = 0;
  const authorise = entryDesk({
    store,
    qr: verifierFor(t, x),
    cloud: {
      online: cloud.online ?? (() => false),
      ask: async (params, timeoutMs) => {
        asked.push({ ...params, timeoutMs });
        if (!cloud.ask) throw new Error('not asked in this test');
        return cloud.ask(params, timeoutMs);
      },
    },
    cloudTimeoutMs: 1500,
    palmSalt: salt,
    clock,
    maxPartySize: 8,
    log: capture.log,
    newTripId: () => `trip-${++trip}`,
  });
  const scan = (code: string): Scan => ({ credential: new Secret(code), at: clock.now() });
  const decide = (
    code: string,
    credentialKind: 'qr' | 'palm' = 'qr',
    signal = new AbortController().signal,
  ) => authorise({ gateId: 'gate-in', credentialKind, scan: scan(code) }, signal);
  return {
    clock,
    store,
    events,
    mint: (claims = {}) => mint(clock.now(), claims),
    asked,
    decide,
    authorise,
    logged: capture.text,
  };
}

t.test(
  'offline, a valid QR token opens for its party and starts a trip naming the token, not carrying it',
  async (t) => {
    const desk = await deskUnderTest(t);
    const token = await desk.mint({ party: 3, jti: 'ticket-77' });
    t.same(await desk.decide(token), { allow: true, partySize: 3, tripId: 'trip-1' });
    t.same(
      desk.events.map((e) => [e.kind, e.data]),
      [
        [
          'trip.started',
          {
            tripId: 'trip-1',
            gateId: 'gate-in',
            credentialKind: 'qr',
            partySize: 3,
            credentialRef: 'qr:ticket-77',
          },
        ],
      ],
    );
    t.notMatch(JSON.stringify(desk.events), token.split('.')[2] as string, 'no signature in any event');
    t.same(desk.asked, [], 'an offline cloud is not asked');
  },
);

t.test('the same token twice: the second is replayed and starts nothing', async (t) => {
  const desk = await deskUnderTest(t);
  const token = await desk.mint();
  await desk.decide(token);
  t.same(await desk.decide(token), { allow: false, reason: 'replayed' });
  t.equal(desk.events.length, 1);
});

t.test('a forged or expired token is refused with its reason', async (t) => {
  const desk = await deskUnderTest(t);
  const other = await tokenMint();
  t.same(await desk.decide(await other.mint(desk.clock.now())), { allow: false, reason: 'bad_signature' });
  t.same(await desk.decide(await desk.mint({ exp: Math.floor(desk.clock.now() / 1000) - 120 })), {
    allow: false,
    reason: 'expired',
  });
  t.same(await desk.decide('not a token'), { allow: false, reason: 'malformed' });
  t.same(desk.events, []);
});

t.test('online, the cloud is asked by the token id; it may deny, or grant fewer people', async (t) => {
  const answers: unknown[] = [
    { allow: false, reason: 'account blocked' },
    { allow: true, partySize: 1 },
  ];
  const desk = await deskUnderTest(t, { online: () => true, ask: async () => answers.shift() });
  const first = await desk.mint({ jti: 'first', party: 2 });
  t.same(await desk.decide(first), { allow: false, reason: 'cloud_denied', detail: 'account blocked' });
  t.same(desk.asked[0], {
    gateId: 'gate-in',
    credentialKind: 'qr',
    credentialRef: 'first',
    partySize: 2,
    timeoutMs: 1500,
  });
  t.same(
    await desk.decide(first),
    { allow: true, partySize: 1, tripId: 'trip-1' },
    'a cloud denial does not use the token up, and the cloud may grant fewer people',
  );
});

t.test(
  'online but the cloud fails or answers nonsense: a verified QR token still enters, a palm does not',
  async (t) => {
    const desk = await deskUnderTest(t, {
      online: () => true,
      ask: async (params) => {
        if (params.credentialKind === 'palm') throw new Error('timeout');
        return { allow: 'maybe' };
      },
    });
    t.same(await desk.decide(await desk.mint()), { allow: true, partySize: 1, tripId: 'trip-1' });
    t.same(await desk.decide('palm-handle-1', 'palm'), { allow: false, reason: 'cloud_unreachable' });
  },
);

t.test('a palm is matched only by the cloud, and events carry a salted hash of its handle', async (t) => {
  let online = false;
  const desk = await deskUnderTest(t, {
    online: () => online,
    ask: async () => ({ allow: true, partySize: 2 }),
  });
  t.same(
    await desk.decide('palm-handle-9', 'palm'),
    { allow: false, reason: 'cloud_unreachable' },
    'offline: refused',
  );
  online = true;
  t.same(await desk.decide('palm-handle-9', 'palm'), { allow: true, partySize: 2, tripId: 'trip-1' });
  t.equal(desk.asked[0]?.credentialRef, 'palm-handle-9', 'the cloud gets the handle to match');
  const started = desk.events[0]?.data as { credentialRef: string };
  t.equal(started.credentialRef, palmRef('palm-handle-9', salt));
  t.notMatch(JSON.stringify(desk.events), /palm-handle-9/, 'the handle itself is in no event');
  t.not(palmRef('palm-handle-9', Buffer.from('another hub salt')), started.credentialRef, 'salted per hub');
});

t.test('closed store and emergency refuse entry before anything else', async (t) => {
  const desk = await deskUnderTest(t);
  const token = await desk.mint();
  desk.store.send({ type: 'mode.set', mode: 'closed' });
  t.same(await desk.decide(token), { allow: false, reason: 'store_closed' });
  desk.store.send({ type: 'mode.set', mode: 'open' });
  desk.store.send({ type: 'emergency.trigger', source: 'drill' });
  t.same(await desk.decide(token), { allow: false, reason: 'emergency' });
  desk.store.send({ type: 'emergency.reset', reply: () => {} });
  t.same((await desk.decide(token)).allow, true, 'the refusals did not use the token up');
});

t.test('when the gate has given up meanwhile, nothing is committed: the token stays good', async (t) => {
  const desk = await deskUnderTest(t);
  const token = await desk.mint();
  const lease = new AbortController();
  lease.abort();
  t.same(await desk.decide(token, 'qr', lease.signal), { allow: false, reason: 'timeout' });
  t.same(desk.events, []);
  t.equal((await desk.decide(token)).allow, true);
});

t.test('the store closing while the cloud thinks refuses the entry', async (t) => {
  const desk = await deskUnderTest(t, {
    online: () => true,
    ask: async () => {
      desk.store.send({ type: 'mode.set', mode: 'closed' });
      return { allow: true };
    },
  });
  t.same(await desk.decide(await desk.mint()), { allow: false, reason: 'store_closed' });
});

t.test('without QR keys configured every QR code is refused', async (t) => {
  const clock = new FakeClock();
  const store = createStoreActor(freshStore, clock);
  store.start();
  const authorise = entryDesk({
    store,
    qr: undefined,
    cloud: { online: () => false, ask: async () => ({}) },
    cloudTimeoutMs: 100,
    palmSalt: salt,
    clock,
    maxPartySize: 8,
    log: captureLog().log,
  });
  const decision = await authorise(
    { gateId: 'g', credentialKind: 'qr', scan: { credential: new Secret('x.y.z'), at: 0 } },
    new AbortController().signal,
  );
  t.same(decision, { allow: false, reason: 'qr_not_configured' });
});

t.test(
  'an answer that is not an answer is logged (without the credential) and decided as offline',
  async (t) => {
    const desk = await deskUnderTest(t, {
      online: () => true,
      ask: async () => ({ allow: true, partySize: 0 }),
    });
    t.equal((await desk.decide(await desk.mint())).allow, true, 'a verified token enters');
    t.same(await desk.decide('palm-handle-3', 'palm'), { allow: false, reason: 'cloud_unreachable' });
    t.match(desk.logged(), /not an answer/);
    t.notMatch(desk.logged(), /palm-handle-3/);
  },
);

t.test("a palm's party is the cloud's to say, within the hub's limit", async (t) => {
  const answers: unknown[] = [
    { allow: true, partySize: 30 },
    { allow: true, partySize: 3 },
  ];
  const desk = await deskUnderTest(t, { online: () => true, ask: async () => answers.shift() });
  t.same(await desk.decide('palm-a', 'palm'), { allow: true, partySize: 8, tripId: 'trip-1' }, 'capped at 8');
  t.same(await desk.decide('palm-b', 'palm'), { allow: true, partySize: 3, tripId: 'trip-2' });
});

t.test(
  'the gate gives up while the cloud thinks: the late allow starts no trip and the token stays good',
  async (t) => {
    let answer: (value: unknown) => void = () => {};
    const desk = await deskUnderTest(t, {
      online: () => true,
      ask: () => new Promise((resolve) => (answer = resolve)),
    });
    const gate = createGateActor(
      {
        gateId: 'gate-in',
        role: 'entry',
        profile: loadGateProfile(join(devicesDir, 'gate-swing.yaml')),
        write: () => {},
      },
      desk.authorise,
      desk.clock,
    );
    const denied: string[] = [];
    gate.on('denied', (e) => denied.push(e.reason));
    gate.start();
    const token = await desk.mint();
    gate.send({
      type: 'scan',
      credentialKind: 'qr',
      scan: { credential: new Secret(token), at: desk.clock.now() },
    });
    await new Promise((r) => setImmediate(r));
    t.equal(desk.asked.length, 1, 'the cloud is being asked');
    desk.clock.advance(4000);
    t.same(denied, ['timeout'], "the gate's lease ran out");
    answer({ allow: true });
    await new Promise((r) => setImmediate(r));
    t.same(desk.events, [], 'no trip started by the late answer');
    t.equal(gateStateOf(gate.getSnapshot()), 'denying');
    const again = desk.decide(token);
    await new Promise((r) => setImmediate(r));
    answer({ allow: true });
    t.equal((await again).allow, true, 'the token was not used up');
  },
);
