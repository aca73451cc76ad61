// The gates joined to the store, on simulated chips: what the store and its commands do to real gate
// machines, and what the gates leave behind when they stop or the hub crashes.

import { join } from 'node:path';
import t from 'tap';
import { loadGateProfile } from '../../src/drivers/gpio/gate-profile.js';
import { SimGpioChip } from '../../src/drivers/gpio/sim.js';
import { devicesDir } from '../../src/drivers/profile-file.js';
import type { Decision } from '../../src/machines/gate.js';
import { GateRefusal, Gates } from '../../src/machines/gates.js';
import type { DeviceStatusData } from '../../src/machines/status.js';
import { createStoreActor, freshStore, type StoreMemory } from '../../src/machines/store.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { captureLog } from '../helpers/log-capture.js';

const profile = (name: string) => loadGateProfile(join(devicesDir, `${name}.yaml`));

function storeWithGates(memory: StoreMemory = freshStore, fireAtStart = false) {
  const clock = new FakeClock();
  const store = createStoreActor(memory, clock);
  store.start();
  const denied: unknown[] = [];
  const alarms: unknown[] = [];
  const statuses: DeviceStatusData[] = [];
  let decide: Decision = { allow: false, reason: 'nobody in this test' };
  const gates = new Gates({
    store,
    authorise: async () => decide,
    clock,
    log: silentLogger(),
    onDenied: (d) => denied.push(d),
    onAlarm: (a) => alarms.push(a),
  });
  gates.reportStatus((s) => statuses.push(s));
  const chips = new Map<string, SimGpioChip>();
  const add = (id: string, role: 'entry' | 'exit', model: string) => {
    const chip = new SimGpioChip(clock);
    if (fireAtStart && id === 'door-in') chip.drive('fireAlarm', 1);
    chips.set(id, chip);
    gates.start({ id, role, driver: 'sim', profile: model }, profile(model), chip);
  };
  add('door-in', 'entry', 'gate-door');
  add('turnstile-in', 'entry', 'gate-turnstile');
  add('swing-out', 'exit', 'gate-swing');
  const chip = (id: string) => chips.get(id) as SimGpioChip;
  return { clock, store, gates, chip, denied, alarms, statuses, allow: (d: Decision) => (decide = d) };
}

const stateOf = (gates: Gates, id: string) => gates.report().find((g) => g.gateId === id)?.state;

t.test('every gate reports online when it starts, from what its wires say', async (t) => {
  const s = storeWithGates();
  t.same(
    s.statuses.map((x) => [x.deviceId, x.status]),
    [
      ['door-in', 'online'],
      ['turnstile-in', 'online'],
      ['swing-out', 'online'],
    ],
  );
  t.same(
    s.gates.report().map((g) => g.state),
    ['locked', 'locked', 'free'],
  );
});

t.test('hub.status shows who each gate is open for; a free exit has no party size', async (t) => {
  const s = storeWithGates();
  s.gates.unlock('door-in', 2, () => 'trip-2');
  const opening = (id: string) =>
    JSON.parse(JSON.stringify(s.gates.report())).find((g: { gateId: string }) => g.gateId === id).opening;
  t.same(opening('door-in'), { direction: 'in', party: 2, passed: 0, tripId: 'trip-2' });
  t.same(opening('swing-out'), { direction: 'out', passed: 0 });
});

t.test('a fire alarm already on when the hub starts opens every gate at once', async (t) => {
  const s = storeWithGates(freshStore, true);
  t.same(
    s.gates.report().map((g) => g.state),
    ['emergency', 'emergency', 'emergency'],
  );
  t.equal(s.chip('turnstile-in').level('unlock'), 1);
});

t.test('an emergency remembered across a restart opens the gates, and settles to its latch', async (t) => {
  const s = storeWithGates({ ...freshStore, emergency: 'active' });
  t.same(
    s.gates.report().map((g) => g.state),
    ['emergency', 'emergency', 'emergency'],
  );
  // The door's fire input reported "off" at start: nothing is burning now, a person may reset.
  let reply: { ok: boolean } | undefined;
  s.store.send({ type: 'emergency.reset', reply: (r) => (reply = r) });
  t.equal(reply?.ok, true);
  t.same(
    s.gates.report().map((g) => g.state),
    ['locked', 'locked', 'free'],
  );
});

t.test(
  'gate.unlock: an entry gate opens for a new trip, an exit for one person, and refusals say why',
  async (t) => {
    const s = storeWithGates();
    let trips = 0;
    const trip = () => `trip-${++trips}`;
    t.same(s.gates.unlock('door-in', 2, trip), { direction: 'in', tripId: 'trip-1' });
    t.equal(stateOf(s.gates, 'door-in'), 'open.waiting');
    t.equal(s.chip('door-in').level('unlock'), 1);
    t.throws(
      () => s.gates.unlock('door-in', 1, trip),
      new GateRefusal('gate_busy', 'door-in is open.waiting; try again once it is locked'),
    );
    t.throws(() => s.gates.unlock('nowhere', 1, trip), { code: 'unknown_gate' });
    t.throws(
      () => s.gates.unlock('swing-out', 1, trip),
      { code: 'gate_busy' },
      'a free exit is already open',
    );
    t.equal(trips, 1, 'no trip for a refused unlock');
    s.store.send({ type: 'emergency.trigger', source: 'test' });
    t.throws(() => s.gates.unlock('turnstile-in', 1, trip), { code: 'emergency' });
  },
);

t.test(
  'stop brings every output to its safe level: a fail-safe door released, a fail-secure turnstile locked',
  async (t) => {
    const s = storeWithGates();
    s.gates.unlock('turnstile-in', 1, () => 'trip');
    s.gates.stop();
    t.equal(s.chip('door-in').level('unlock'), 1, 'maglock released');
    t.equal(s.chip('turnstile-in').level('unlock'), 0, 'turnstile locked');
    t.equal(s.chip('door-in').level('red'), 0, 'lights off');
    t.same(s.gates.report(), [], 'nothing left running');
  },
);

t.test('failSafe (a crash) writes the safe levels at once, even mid-opening', async (t) => {
  const s = storeWithGates();
  s.gates.unlock('turnstile-in', 1, () => 'trip');
  t.equal(s.chip('turnstile-in').level('unlock'), 1);
  s.gates.failSafe();
  t.equal(s.chip('turnstile-in').level('unlock'), 0);
  t.equal(s.chip('door-in').level('unlock'), 1);
});

t.test('refusals and alarms reach their listeners as event data', async (t) => {
  const s = storeWithGates();
  s.gates.scan('door-in', 'qr', {
    credential: new Secret('x'),
    at: 0,
    problem: 'binary',
  });
  t.same(s.denied, [{ gateId: 'door-in', credentialKind: 'qr', reason: 'binary' }]);
  s.chip('door-in').drive('tamper', 1);
  s.clock.advance(100);
  t.same(s.alarms, [{ gateId: 'door-in', alarm: 'tamper', state: 'raised' }]);
});

/**
 * A chip whose output `name` fails its writes while `failing()` says so (always, by default): a lock
 * that fails errors the gate machine on its first write; a lamp does not.
 */
function brokenOutputChip(clock: FakeClock, name: 'unlock' | 'green', failing = () => true) {
  const chip = new SimGpioChip(clock);
  const open = chip.open.bind(chip);
  chip.open = (spec) => {
    const line = open(spec);
    const write = line.write.bind(line);
    if (spec.name === name)
      line.write = (level) => {
        if (failing()) throw new Error('EIO: i/o error, write');
        write(level);
      };
    return line;
  };
  return chip;
}

t.test('a gate whose lock output fails at start is reported offline and left safe, not online', async (t) => {
  const s = storeWithGates();
  const chip = brokenOutputChip(s.clock, 'unlock');
  s.gates.start(
    { id: 'broken', role: 'entry', driver: 'sim', profile: 'gate-door' },
    profile('gate-door'),
    chip,
  );
  t.same(
    s.statuses.filter((x) => x.deviceId === 'broken').map((x) => x.status),
    ['offline'],
    'never online',
  );
  t.equal(chip.level('unlock'), 1, "the door's outputs at their safe level (fail-safe: released)");
});

t.test("a broken gate's fire input still raises the emergency for every other gate", async (t) => {
  const s = storeWithGates();
  const chip = brokenOutputChip(s.clock, 'unlock');
  s.gates.start(
    { id: 'broken', role: 'entry', driver: 'sim', profile: 'gate-door' },
    profile('gate-door'),
    chip,
  );
  chip.drive('fireAlarm', 1);
  s.clock.advance(100);
  t.equal(stateOf(s.gates, 'turnstile-in'), 'emergency');
  t.equal(s.chip('turnstile-in').level('unlock'), 1);
});

t.test(
  'a dead green lamp leaves the gate degraded but working, and online again once it lights',
  async (t) => {
    const s = storeWithGates();
    let lampDead = true;
    const chip = brokenOutputChip(s.clock, 'green', () => lampDead);
    s.gates.start(
      { id: 'lamp', role: 'entry', driver: 'sim', profile: 'gate-door' },
      profile('gate-door'),
      chip,
    );
    const statuses = () =>
      s.statuses.filter((x) => x.deviceId === 'lamp').map((x) => `${x.status}: ${x.reason}`);
    t.same(statuses(), ['degraded: green output failing: EIO: i/o error, write']);
    s.gates.unlock('lamp', 1, () => 'trip-lamp');
    t.equal(stateOf(s.gates, 'lamp'), 'open.waiting', 'the shopper is let in all the same');
    t.equal(chip.level('unlock'), 1);
    lampDead = false;
    s.clock.advance(profile('gate-door').timing.entryWindowMs);
    t.same(statuses().at(-1), 'online: ready', 'reported online at its next write');
  },
);

t.test('a beam stuck broken degrades its gate until it clears', async (t) => {
  const s = storeWithGates();
  s.chip('door-in').drive('beamInner', 1);
  s.clock.advance(profile('gate-door').timing.beamStuckMs + 100);
  const door = () =>
    s.statuses.filter((x) => x.deviceId === 'door-in').map((x) => `${x.status}: ${x.reason}`);
  t.same(
    door().at(-1),
    'degraded: a beam is stuck broken: the other counts people alone and cannot tell their way',
  );
  s.chip('door-in').drive('beamInner', 0);
  s.clock.advance(100);
  t.same(door().at(-1), 'online: ready');
  t.equal(door().length, 3);
});

t.test(
  'a fail-secure turnstile whose machine failed is still opened by a fire, and safe again after the reset',
  async (t) => {
    const s = storeWithGates();
    let writes = 0;
    // The lock's first write fails (the machine errors), the driver recovers after.
    const chip = brokenOutputChip(s.clock, 'unlock', () => ++writes === 1);
    s.gates.start(
      { id: 'failed', role: 'entry', driver: 'sim', profile: 'gate-turnstile' },
      profile('gate-turnstile'),
      chip,
    );
    t.equal(chip.level('unlock'), 0, 'fail-secure: locked');
    s.chip('door-in').drive('fireAlarm', 1);
    s.clock.advance(100);
    t.equal(chip.level('unlock'), 1, 'opened for the fire');
    s.chip('door-in').drive('fireAlarm', 0);
    s.clock.advance(100);
    t.equal(chip.level('unlock'), 1, 'held open while the emergency is latched');
    let reply: { ok: boolean } | undefined;
    s.store.send({ type: 'emergency.reset', reply: (r) => (reply = r) });
    t.equal(reply?.ok, true);
    t.equal(chip.level('unlock'), 0, 'back to its safe level');
  },
);

t.test('an authoriser that throws is logged without the scan, and the gate refuses', async (t) => {
  const clock = new FakeClock();
  const store = createStoreActor(freshStore, clock);
  store.start();
  const capture = captureLog();
  const denied: unknown[] = [];
  const gates = new Gates({
    store,
    authorise: async () => {
      throw new Error('disk I/O error');
    },
    clock,
    log: capture.log,
    onDenied: (d) => denied.push(d),
    onAlarm: () => {},
  });
  gates.start(
    { id: 'g', role: 'entry', driver: 'sim', profile: 'gate-swing' },
    profile('gate-swing'),
    new SimGpioChip(clock),
  );
  gates.scan('g', 'qr', { credential: new Secret('eyJ.secret-token.sig'), at: 0 });
  await new Promise((r) => setImmediate(r));
  t.same(denied, [{ gateId: 'g', credentialKind: 'qr', reason: 'internal_error' }]);
  t.match(capture.text(), /could not decide a scan/);
  t.match(capture.text(), /disk I\/O error/);
  t.notMatch(capture.text(), /secret-token/);
});

t.test(
  "gate.test: a locked gate's lights are tested; another gate, or one not at rest, is refused",
  async (t) => {
    const s = storeWithGates();
    s.gates.testSignals('door-in');
    t.equal(stateOf(s.gates, 'door-in'), 'testingSignals.green');
    t.equal(s.chip('door-in').level('green'), 1, 'the green lamp on the wire');
    t.equal(stateOf(s.gates, 'turnstile-in'), 'locked', 'only that gate');
    t.throws(() => s.gates.testSignals('door-in'), { code: 'gate_busy' }, 'not twice at once');
    s.clock.advance(2000);
    t.equal(stateOf(s.gates, 'door-in'), 'locked');

    t.throws(() => s.gates.testSignals('nowhere'), new GateRefusal('unknown_gate', 'no gate "nowhere"'));
    s.gates.unlock('turnstile-in', 1, () => 'trip-1');
    t.throws(
      () => s.gates.testSignals('turnstile-in'),
      new GateRefusal(
        'gate_busy',
        'turnstile-in is open.waiting; its lights can be tested once it is locked',
      ),
      'a gate open for someone',
    );
    t.equal(stateOf(s.gates, 'turnstile-in'), 'open.waiting', 'and it stays open for them');
    t.throws(() => s.gates.testSignals('swing-out'), { code: 'gate_busy' }, 'a free exit');
  },
);
