import t from 'tap';
import { gateUnderTest, profile } from '../helpers/gate-harness.js';

const allow = (partySize = 1, tripId = 'trip-1') => ({ allow: true as const, partySize, tripId });

t.test('a valid scan shows "processing", opens the gate, lets the shopper in and relocks', async (t) => {
  const gate = gateUnderTest();
  t.equal(gate.state(), 'locked');
  t.same(gate.outputs, { unlock: 0, green: 0, red: 0 }, 'locked and dark at rest');
  gate.scan('token-1');
  t.equal(gate.state(), 'authorising');
  t.same(
    [gate.outputs.green, gate.outputs.red, gate.outputs.unlock],
    [1, 1, 0],
    'amber while deciding, still locked',
  );
  t.equal(gate.asked[0]?.request.credentialKind, 'qr');
  t.equal(gate.asked[0]?.request.scan.credential.reveal(), 'token-1');
  await gate.answer(allow());
  t.equal(gate.state(), 'open.waiting');
  t.same([gate.outputs.unlock, gate.outputs.green, gate.outputs.red], [1, 1, 0], 'unlocked, green');
  gate.walk('in');
  t.same(gate.of('passage'), [
    { type: 'passage', gateId: 'gate-in', direction: 'in', authorised: true, tripId: 'trip-1' },
  ]);
  t.equal(gate.state(), 'relocking', 'the party of one is through');
  t.equal(gate.outputs.unlock, 1, 'a swing gate stays open for the relock delay');
  gate.clock.advance(profile('gate-swing').timing.relockDelayMs);
  t.equal(gate.state(), 'locked');
  t.equal(gate.outputs.unlock, 0, 'locked again');
  t.same(gate.of('alarm'), [], 'no alarm on an ordinary entry');
});

t.test(
  'a refused credential shows red with the buzzer, is reported with its reason, and the gate stays locked',
  async (t) => {
    const gate = gateUnderTest();
    gate.scan('forged', 'qr');
    await gate.answer({ allow: false, reason: 'bad_signature' });
    t.equal(gate.state(), 'denying');
    t.same([gate.outputs.unlock, gate.outputs.red, gate.outputs.green, gate.outputs.buzzer], [0, 1, 0, 1]);
    t.same(gate.of('denied'), [
      { type: 'denied', gateId: 'gate-in', credentialKind: 'qr', reason: 'bad_signature' },
    ]);
    gate.clock.advance(profile('gate-swing').timing.denyFeedbackMs);
    t.equal(gate.state(), 'locked');
    t.same([gate.outputs.red, gate.outputs.buzzer, gate.outputs.unlock], [0, 0, 0], 'quiet and locked');
    t.notOk(
      gate.writes.some((w) => w.endsWith('unlock=1')),
      'the lock never opened',
    );
  },
);

t.test("the cloud's reason detail travels with the refusal", async (t) => {
  const gate = gateUnderTest();
  gate.scan('palm-handle', 'palm');
  await gate.answer({ allow: false, reason: 'cloud_denied', detail: 'account blocked' });
  t.same(gate.of('denied')[0], {
    type: 'denied',
    gateId: 'gate-in',
    credentialKind: 'palm',
    reason: 'cloud_denied',
    detail: 'account blocked',
  });
});

t.test('one credential holds the gate: a second scan meanwhile is refused as busy', async (t) => {
  const gate = gateUnderTest();
  gate.scan('first');
  gate.scan('second', 'palm');
  t.equal(gate.asked.length, 1, 'only the first is being decided');
  t.same(gate.of('denied'), [
    { type: 'denied', gateId: 'gate-in', credentialKind: 'palm', reason: 'gate_busy' },
  ]);
  await gate.answer(allow());
  t.equal(gate.state(), 'open.waiting', 'the first still opens the gate');
  gate.scan('third');
  t.equal(gate.of('denied').at(-1)?.reason, 'gate_busy', 'nor while the gate is open for someone');
});

t.test('a lease that runs out is refused as a timeout, and the late answer is ignored', async (t) => {
  const gate = gateUnderTest();
  gate.scan('slow');
  gate.clock.advance(profile('gate-swing').timing.authoriseTimeoutMs);
  t.equal(gate.state(), 'denying');
  t.equal(gate.of('denied')[0]?.reason, 'timeout');
  t.ok(gate.asked[0]?.signal.aborted, 'the authoriser is told to commit nothing');
  await gate.answer(allow());
  t.equal(gate.state(), 'denying', 'a late allow does not open the gate');
  t.notOk(gate.writes.some((w) => w.endsWith('unlock=1')));
});

t.test('an authoriser that fails is a refusal, not a crash', async (t) => {
  const gate = gateUnderTest();
  gate.scan('x');
  gate.asked[0]?.fail(new Error('disk gone'));
  await new Promise((r) => setImmediate(r));
  t.equal(gate.of('denied')[0]?.reason, 'internal_error');
  t.equal(gate.actor.getSnapshot().status, 'active');
});

t.test('an unreadable scan is refused at once with its problem, without asking anyone', async (t) => {
  const gate = gateUnderTest();
  gate.scan('x'.repeat(10), 'qr', 'too_long');
  t.equal(gate.asked.length, 0);
  t.equal(gate.of('denied')[0]?.reason, 'too_long');
  gate.scan('\u0001', 'qr', 'binary');
  t.equal(gate.of('denied')[1]?.reason, 'binary');
  t.equal(gate.state(), 'denying');
  gate.scan('good');
  t.equal(gate.state(), 'authorising', 'a good scan right after a refusal is decided');
});

t.test('a party of three: three passages of the trip, then a fourth person raises tailgate', async (t) => {
  const gate = gateUnderTest();
  const timing = profile('gate-swing').timing;
  gate.scan('family');
  await gate.answer(allow(3, 'trip-f'));
  gate.walk('in');
  gate.clock.advance(1000);
  gate.walk('in');
  t.equal(gate.state(), 'open.waiting', 'still open for the third');
  gate.walk('in');
  t.equal(gate.state(), 'relocking');
  gate.walk('in');
  const passages = gate.of('passage');
  t.same(
    passages.map((p) => [p.tripId, p.authorised]),
    [
      ['trip-f', true],
      ['trip-f', true],
      ['trip-f', true],
      [undefined, false],
    ],
  );
  t.same(gate.of('alarm'), [{ type: 'alarm', gateId: 'gate-in', alarm: 'tailgate', state: 'raised' }]);
  t.equal(gate.outputs.buzzer, 1, 'the buzzer sounds');
  gate.clock.advance(timing.denyFeedbackMs);
  t.same(gate.of('alarm').at(-1), { type: 'alarm', gateId: 'gate-in', alarm: 'tailgate', state: 'cleared' });
  t.equal(gate.outputs.buzzer, 0);
});

t.test('a follower so close that the lane never empties is still counted', async (t) => {
  const gate = gateUnderTest();
  gate.scan('pair');
  await gate.answer(allow(2, 'trip-p'));
  gate.input('beamOuter', 1);
  gate.input('beamInner', 1);
  gate.input('beamOuter', 0);
  gate.input('beamOuter', 1); // the second person steps in before the first has left
  gate.input('beamInner', 0);
  gate.input('beamInner', 1);
  gate.input('beamOuter', 0);
  gate.input('beamInner', 0);
  t.equal(gate.of('passage').length, 2);
  t.equal(gate.state(), 'relocking');
});

t.test('walk-away: nobody comes through within the window, the gate relocks and says so', async (t) => {
  const gate = gateUnderTest();
  gate.scan('changed-my-mind');
  await gate.answer(allow(1, 'trip-w'));
  gate.clock.advance(profile('gate-swing').timing.entryWindowMs);
  t.same(gate.of('walkAway'), [{ type: 'walkAway', gateId: 'gate-in', tripId: 'trip-w' }]);
  t.equal(gate.state(), 'relocking');
  gate.clock.advance(profile('gate-swing').timing.relockDelayMs);
  t.equal(gate.outputs.unlock, 0);
});

t.test('someone who steps in and backs out is not a passage, and buys the party no more time', async (t) => {
  const gate = gateUnderTest();
  const timing = profile('gate-swing').timing;
  gate.scan('hesitant');
  await gate.answer(allow());
  gate.clock.advance(1000);
  gate.input('beamOuter', 1);
  t.equal(gate.state(), 'open.passing');
  gate.clock.advance(500);
  gate.input('beamInner', 1);
  gate.input('beamInner', 0);
  gate.input('beamOuter', 0);
  t.equal(gate.of('passage').length, 0, 'backed out');
  t.equal(gate.state(), 'open.waiting');
  gate.clock.advance(timing.entryWindowMs - 1500 - 1);
  t.equal(gate.state(), 'open.waiting', 'still within the window that began at the opening');
  gate.clock.advance(1);
  t.equal(gate.state(), 'relocking', 'and not a moment longer');
  t.same(gate.of('walkAway').length, 1);
});

t.test('stepping in and out again and again never holds a gate open', async (t) => {
  const turnstile = profile('gate-turnstile');
  const gate = gateUnderTest({ profile: turnstile });
  gate.scan('fidgety');
  await gate.answer(allow());
  // 10 s of it, against a window of 8 s.
  for (let i = 0; i < 25; i++) {
    gate.input('beamOuter', 1);
    gate.clock.advance(200);
    gate.input('beamOuter', 0);
    gate.clock.advance(200);
  }
  t.equal(gate.state(), 'locked', 'the window ran out regardless');
  t.equal(gate.writes.filter((w) => w.endsWith('unlock=1')).length, 1, 'one pulse, not one per step');
});

t.test('a passage that never finishes gives the lane back; a window already over then relocks', async (t) => {
  const gate = gateUnderTest({ profile: profile('gate-door') });
  const timing = profile('gate-door').timing;
  gate.scan('slow-walker');
  await gate.answer(allow());
  gate.input('beamOuter', 1);
  gate.clock.advance(timing.passageTimeoutMs - 1);
  t.equal(gate.state(), 'open.passing', 'the window does not close on someone in the lane');
  gate.clock.advance(1);
  t.equal(gate.state(), 'relocking', "the door's window had ended meanwhile");
});

t.test("a scan while the last party's gate relocks locks it while deciding", async (t) => {
  const gate = gateUnderTest({ profile: profile('gate-door') });
  gate.scan('first');
  await gate.answer(allow());
  gate.walk('in');
  t.equal(gate.state(), 'relocking');
  t.equal(gate.outputs.unlock, 1, 'the door still held open for the relock delay');
  gate.scan('next');
  t.equal(gate.state(), 'authorising');
  t.equal(gate.outputs.unlock, 0, 'locked: nobody walks in on amber');
  await gate.answer({ allow: false, reason: 'expired' });
  t.equal(gate.outputs.unlock, 0);
});

t.test('a stuck beam stays a fault while people cross the other one', async (t) => {
  const gate = gateUnderTest();
  const timing = profile('gate-swing').timing;
  gate.input('beamInner', 1);
  gate.clock.advance(timing.beamStuckMs);
  t.same(
    gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
    ['input_fault raised'],
  );
  gate.input('beamOuter', 1);
  gate.input('beamOuter', 0);
  t.notOk(
    gate.of('alarm').some((a) => a.alarm === 'input_fault' && a.state === 'cleared'),
    'not cleared by the other beam',
  );
  gate.input('beamInner', 0);
  t.same(gate.of('alarm').at(-1), {
    type: 'alarm',
    gateId: 'gate-in',
    alarm: 'input_fault',
    state: 'cleared',
  });
});

t.test(
  'with one beam stuck the other counts alone: a party comes in as a trip, not as a walk-away',
  async (t) => {
    const gate = gateUnderTest();
    const timing = profile('gate-swing').timing;
    gate.input('beamInner', 1);
    gate.clock.advance(timing.beamStuckMs);
    gate.scan('ok');
    await gate.answer(allow(2, 'trip-one-beam'));
    for (let person = 0; person < 2; person++) {
      gate.input('beamOuter', 1);
      gate.input('beamOuter', 0);
    }
    t.same(
      gate.of('passage').map((p) => `${p.direction} ${p.tripId}`),
      ['in trip-one-beam', 'in trip-one-beam'],
    );
    t.equal(gate.state(), 'relocking', 'the party is through');
    t.same(gate.of('walkAway'), []);
    gate.input('beamInner', 0);
    gate.clock.advance(timing.relockDelayMs);
    gate.scan('ok-2');
    await gate.answer(allow(1, 'trip-two-beams'));
    gate.walk('in');
    t.same(gate.of('passage').at(-1)?.tripId, 'trip-two-beams', 'both beams count again once it clears');
  },
);

t.test('at a free exit with its street-side beam stuck, the inner beam counts people out', async (t) => {
  const gate = gateUnderTest({ role: 'exit' });
  gate.input('beamOuter', 1);
  gate.clock.advance(profile('gate-swing').timing.beamStuckMs);
  gate.input('beamInner', 1);
  gate.input('beamInner', 0);
  t.same(
    gate.of('passage').map((p) => `${p.direction} ${p.authorised}`),
    ['out true'],
  );
});

t.test('someone through a locked gate is a forced_open passage, cleared after the buzzer', async (t) => {
  const gate = gateUnderTest();
  gate.walk('in');
  t.same(gate.of('passage'), [{ type: 'passage', gateId: 'gate-in', direction: 'in', authorised: false }]);
  t.same(gate.of('alarm'), [{ type: 'alarm', gateId: 'gate-in', alarm: 'forced_open', state: 'raised' }]);
  t.equal(gate.outputs.buzzer, 1);
  gate.walk('in');
  t.equal(gate.of('alarm').length, 1, 'raised once while it lasts');
  gate.clock.advance(profile('gate-swing').timing.denyFeedbackMs);
  t.equal(gate.of('alarm').at(-1)?.state, 'cleared');
  t.equal(gate.outputs.buzzer, 0);
});

t.test(
  'a door pushed open while locked is forced_open; left open it is held_open until it shuts',
  async (t) => {
    const gate = gateUnderTest({ profile: profile('gate-door') });
    const timing = profile('gate-door').timing;
    gate.input('position', 1);
    t.same(
      gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
      ['forced_open raised'],
    );
    gate.clock.advance(timing.heldOpenMs);
    t.ok(gate.of('alarm').some((a) => a.alarm === 'held_open' && a.state === 'raised'));
    gate.input('position', 0);
    t.same(gate.of('alarm').at(-1), {
      type: 'alarm',
      gateId: 'gate-in',
      alarm: 'held_open',
      state: 'cleared',
    });
  },
);

t.test(
  'the door opening for an allowed shopper is not forced; left open once it should be shut, it is held_open',
  async (t) => {
    const timing = profile('gate-door').timing;
    const gate = gateUnderTest({ profile: profile('gate-door') });
    gate.scan('ok');
    await gate.answer(allow());
    gate.input('position', 1);
    t.same(gate.of('alarm'), []);
    // The door may stand open while it is open for the shopper; the time counts from the relock.
    gate.clock.advance(timing.entryWindowMs + timing.relockDelayMs);
    t.equal(gate.state(), 'locked');
    gate.clock.advance(timing.heldOpenMs - 1);
    t.same(gate.of('alarm'), [], 'not yet: the door had heldOpenMs to close from the relock');
    gate.clock.advance(1);
    t.same(
      gate.of('alarm').map((a) => a.alarm),
      ['held_open'],
    );
  },
);

t.test('tamper is raised and cleared with its switch', async (t) => {
  const gate = gateUnderTest();
  gate.input('tamper', 1);
  gate.input('tamper', 0);
  t.same(
    gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
    ['tamper raised', 'tamper cleared'],
  );
});

t.test('a beam broken for too long is an input fault, cleared when it clears', async (t) => {
  const gate = gateUnderTest();
  gate.input('beamInner', 1);
  gate.clock.advance(profile('gate-swing').timing.beamStuckMs - 1);
  t.same(gate.of('alarm'), []);
  gate.clock.advance(1);
  t.same(
    gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
    ['input_fault raised'],
  );
  gate.input('beamInner', 0);
  t.same(
    gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
    ['input_fault raised', 'input_fault cleared'],
  );
});

t.test('the fire-alarm input is reported; the emergency opens the gate whatever it was doing', async (t) => {
  const gate = gateUnderTest({ profile: profile('gate-turnstile') });
  gate.scan('mid-decision');
  gate.input('fireAlarm', 1);
  t.same(gate.of('fire'), [{ type: 'fire', gateId: 'gate-in', active: true }]);
  gate.actor.send({ type: 'emergency', active: true });
  t.equal(gate.state(), 'emergency');
  t.equal(gate.outputs.unlock, 1, 'held open, even on a pulse-driven turnstile');
  t.ok(gate.asked[0]?.signal.aborted, 'the decision under way is dropped');
  await gate.answer(allow());
  t.equal(gate.state(), 'emergency');
  gate.clock.advance(60_000);
  t.equal(gate.outputs.unlock, 1, 'still open a minute later');
  gate.walk('out');
  gate.walk('in');
  t.same(
    gate.of('passage').map((p) => `${p.direction} ${p.authorised}`),
    ['out true', 'in true'],
  );
  t.same(gate.of('alarm'), [], 'no alarms while people flee');
  gate.scan('during');
  t.equal(gate.of('denied').at(-1)?.reason, 'emergency');
  gate.actor.send({ type: 'emergency', active: false });
  t.equal(gate.state(), 'locked');
  t.equal(gate.outputs.unlock, 0);
});

t.test('an exit with free egress is open outward; someone coming in through it is forced_open', async (t) => {
  const gate = gateUnderTest({ role: 'exit' });
  t.equal(gate.state(), 'free');
  t.equal(gate.outputs.unlock, 1);
  gate.walk('out');
  gate.walk('out');
  t.same(
    gate.of('passage').map((p) => `${p.direction} ${p.authorised}`),
    ['out true', 'out true'],
  );
  gate.walk('in');
  t.equal(gate.of('alarm')[0]?.alarm, 'forced_open');
  gate.scan('qr-at-exit');
  t.equal(gate.of('denied')[0]?.reason, 'exit_gate');
  gate.actor.send({ type: 'emergency', active: true });
  gate.actor.send({ type: 'emergency', active: false });
  t.equal(gate.state(), 'free', 'back to free egress after an emergency');
});

t.test('wings standing open at a free exit, however long, are never held_open', async (t) => {
  const gate = gateUnderTest({ role: 'exit' });
  gate.input('position', 1);
  gate.clock.advance(10 * profile('gate-swing').timing.heldOpenMs);
  t.same(gate.of('alarm'), []);
});

t.test(
  'every gate standing open in an emergency is no alarm; after the reset a door left open has heldOpenMs to shut',
  async (t) => {
    const timing = profile('gate-door').timing;
    const gate = gateUnderTest({ profile: profile('gate-door') });
    gate.actor.send({ type: 'emergency', active: true });
    gate.input('position', 1);
    gate.clock.advance(10 * timing.heldOpenMs);
    t.same(gate.of('alarm'), [], 'open on purpose');
    gate.actor.send({ type: 'emergency', active: false });
    t.equal(gate.state(), 'locked');
    gate.clock.advance(timing.heldOpenMs - 1);
    t.same(gate.of('alarm'), []);
    gate.clock.advance(1);
    t.same(
      gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
      ['held_open raised'],
    );
  },
);

t.test('a held_open door opened again for a shopper is no longer an alarm', async (t) => {
  const timing = profile('gate-door').timing;
  const gate = gateUnderTest({ profile: profile('gate-door') });
  gate.input('position', 1);
  gate.clock.advance(timing.heldOpenMs);
  gate.scan('ok');
  await gate.answer(allow());
  t.equal(gate.state(), 'open.waiting');
  t.same(
    gate.of('alarm').map((a) => `${a.alarm} ${a.state}`),
    ['forced_open raised', 'forced_open cleared', 'held_open raised', 'held_open cleared'],
  );
});

t.test(
  'an emergency while a party is at the open gate lets its trip go; once someone is in, it stays',
  async (t) => {
    const gate = gateUnderTest();
    gate.scan('ok');
    await gate.answer(allow(2, 'trip-at-gate'));
    gate.actor.send({ type: 'emergency', active: true });
    t.same(gate.of('walkAway'), [{ type: 'walkAway', gateId: 'gate-in', tripId: 'trip-at-gate' }]);
    gate.actor.send({ type: 'emergency', active: false });

    gate.scan('ok-2');
    await gate.answer(allow(2, 'trip-half-in'));
    gate.walk('in');
    gate.actor.send({ type: 'emergency', active: true });
    t.equal(gate.of('walkAway').length, 1, 'one of the party is inside: the trip is under way');
  },
);

t.test(
  'a second press of the exit button while the door is open or relocking lets a second person out',
  async (t) => {
    const gate = gateUnderTest({ role: 'exit', profile: profile('gate-door') });
    gate.input('exitRequest', 1);
    gate.input('exitRequest', 0);
    gate.input('exitRequest', 1);
    gate.input('exitRequest', 0);
    gate.walk('out');
    t.equal(gate.state(), 'open.waiting', 'still open for the second person');
    gate.walk('out');
    t.equal(gate.state(), 'relocking');
    gate.input('exitRequest', 1);
    t.equal(gate.state(), 'open.waiting', 'a press while relocking opens it again');
    gate.walk('out');
    t.same(
      gate.of('passage').map((p) => `${p.direction} ${p.authorised}`),
      ['out true', 'out true', 'out true'],
    );
    t.same(gate.of('alarm'), [], 'nobody tailgated: each pressed the button');
  },
);

t.test('an exit on request opens for one person when the button is pressed', async (t) => {
  const gate = gateUnderTest({ role: 'exit', profile: profile('gate-door') });
  t.equal(gate.state(), 'locked');
  gate.input('exitRequest', 1);
  t.equal(gate.state(), 'open.waiting');
  t.equal(gate.outputs.unlock, 1);
  gate.input('exitRequest', 0);
  gate.walk('out');
  t.same(gate.of('passage'), [{ type: 'passage', gateId: 'gate-in', direction: 'out', authorised: true }]);
  t.equal(gate.state(), 'relocking');
});

t.test('a pulse-driven turnstile gets one pulse per person of the party', async (t) => {
  const turnstile = profile('gate-turnstile');
  const gate = gateUnderTest({ profile: turnstile });
  gate.scan('pair');
  await gate.answer(allow(2));
  t.equal(gate.outputs.unlock, 1);
  gate.clock.advance(turnstile.unlock.pulseMs);
  t.equal(gate.outputs.unlock, 0, 'the pulse ends');
  gate.walk('in');
  t.equal(gate.outputs.unlock, 1, 'a pulse for the second person');
  gate.clock.advance(turnstile.unlock.pulseMs);
  gate.walk('in');
  t.equal(gate.state(), 'relocking');
  t.equal(gate.writes.filter((w) => w.endsWith('unlock=1')).length, 2);
});

t.test('a grant (a command) opens the gate for its trip without a credential', async (t) => {
  const gate = gateUnderTest();
  gate.actor.send({ type: 'grant', direction: 'in', party: 1, tripId: 'trip-cmd' });
  t.equal(gate.state(), 'open.waiting');
  gate.walk('in');
  t.equal(gate.of('passage')[0]?.tripId, 'trip-cmd');
});

t.test('a grant right after a refusal opens the gate (a technician letting the shopper in)', async (t) => {
  const gate = gateUnderTest();
  gate.scan('bad', 'qr', 'binary');
  t.equal(gate.state(), 'denying');
  gate.actor.send({ type: 'grant', direction: 'in', party: 1, tripId: 'trip-help' });
  t.equal(gate.state(), 'open.waiting');
  t.equal(gate.outputs.unlock, 1);
});

t.test('someone leaving the wrong way through an open entry gate is forced_open', async (t) => {
  const gate = gateUnderTest();
  gate.scan('x');
  await gate.answer(allow());
  gate.walk('out');
  t.same(gate.of('passage')[0], { type: 'passage', gateId: 'gate-in', direction: 'out', authorised: false });
  t.equal(gate.of('alarm')[0]?.alarm, 'forced_open');
  t.equal(gate.state(), 'open.waiting', 'still open for the shopper');
});

t.test('close ends the machine', async (t) => {
  const gate = gateUnderTest();
  gate.actor.send({ type: 'close' });
  t.equal(gate.actor.getSnapshot().status, 'done');
});

t.test(
  "a technician's light test shows green, then red with the buzzer, and leaves the gate locked and quiet",
  async (t) => {
    const gate = gateUnderTest();
    const start = gate.clock.now();
    gate.actor.send({ type: 'signals.test' });
    t.equal(gate.state(), 'testingSignals.green');
    t.same([gate.outputs.green, gate.outputs.red, gate.outputs.unlock], [1, 0, 0], 'green first, locked');
    gate.clock.advance(999);
    t.equal(gate.outputs.green, 1, 'green for a whole second');
    gate.clock.advance(1);
    t.equal(gate.state(), 'testingSignals.red');
    t.same(
      [gate.outputs.green, gate.outputs.red, gate.outputs.buzzer, gate.outputs.unlock],
      [0, 1, 1, 0],
      'then red with the buzzer',
    );
    gate.clock.advance(1000);
    t.equal(gate.state(), 'locked');
    t.same(
      [gate.outputs.green, gate.outputs.red, gate.outputs.buzzer, gate.outputs.unlock],
      [0, 0, 0, 0],
      'dark, quiet and locked after two seconds',
    );
    t.notOk(
      gate.writes.some((w) => w.endsWith('unlock=1')),
      'the lock never opened',
    );
    t.same(
      gate.writes.filter((w) => /(green|red|buzzer)=1$/.test(w)),
      [`${start} green=1`, `${start + 1000} red=1`, `${start + 1000} buzzer=1`],
      'each signal lit once, at its time',
    );
    t.same(gate.emitted, [], 'a test is not an alarm nor a refusal');
  },
);

t.test("a shopper's scan ends the light test: the scan is decided, the buzzer falls silent", async (t) => {
  const gate = gateUnderTest();
  gate.actor.send({ type: 'signals.test' });
  gate.clock.advance(1000);
  t.equal(gate.outputs.buzzer, 1, 'in the red step');
  gate.scan('shopper-token');
  t.equal(gate.state(), 'authorising', 'decided at once, as at rest');
  t.equal(gate.asked.length, 1, 'the authoriser is asked');
  t.same(gate.of('denied'), [], 'nobody turned away');
  t.same(
    [gate.outputs.unlock, gate.outputs.green, gate.outputs.red, gate.outputs.buzzer],
    [0, 1, 1, 0],
    "the deciding lights, the test's buzzer off",
  );
  gate.clock.advance(5000);
  t.not(gate.state(), 'locked', "the test's timer does not cut the decision short");
});

t.test('an emergency during the light test opens the gate and silences the buzzer', async (t) => {
  const gate = gateUnderTest();
  gate.actor.send({ type: 'signals.test' });
  gate.clock.advance(1000);
  t.equal(gate.outputs.buzzer, 1, 'in the red step');
  gate.actor.send({ type: 'emergency', active: true });
  t.equal(gate.state(), 'emergency');
  t.same(
    [gate.outputs.unlock, gate.outputs.green, gate.outputs.red, gate.outputs.buzzer],
    [1, 1, 0, 0],
    'open and green, the test over',
  );
  gate.clock.advance(5000);
  t.equal(gate.state(), 'emergency', "the test's timer does not take the gate back to locked");
  t.equal(gate.outputs.unlock, 1);
  gate.actor.send({ type: 'emergency', active: false });
  t.equal(gate.state(), 'locked');
});

t.test('a light test asked of a gate that is not locked changes nothing', async (t) => {
  const gate = gateUnderTest();
  gate.scan('deciding');
  gate.actor.send({ type: 'signals.test' });
  t.equal(gate.state(), 'authorising');
  await gate.answer(allow());
  gate.actor.send({ type: 'signals.test' });
  t.equal(gate.state(), 'open.waiting', 'an open gate stays open');
  t.equal(gate.outputs.unlock, 1);
});
