// Simulated shoppers against real gate machines on simulated GPIO chips, their tokens checked by the
// real verifier with its replay cache on disk, the way the daemon will see them. Each journey the
// sim keeps is scored against what the gates reported.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import t from 'tap';
import type { Config } from '../../src/config/schema.js';
import { QrTokenVerifier } from '../../src/credentials/qr-token.js';
import { SqliteReplayCache } from '../../src/credentials/replay-cache.js';
import { type GateProfile, loadGateProfile } from '../../src/drivers/gpio/gate-profile.js';
import { SimGpioChip } from '../../src/drivers/gpio/sim.js';
import { SimScanner } from '../../src/drivers/scanner/sim.js';
import {
  type Authorise,
  createGateActor,
  type Decision,
  type GateActor,
  type GateEmitted,
  type InputLine,
} from '../../src/machines/gate.js';
import { openGateLines } from '../../src/machines/gate-lines.js';
import { refusalFor, type SimSigningKey } from '../../src/sim/gate-credentials.js';
import {
  type GateAttempt,
  type GateHabits,
  GateShoppers,
  type GateShoppersOptions,
  type Journey,
} from '../../src/sim/gate-shoppers.js';
import { SimStore } from '../../src/sim/store.js';
import { FakeClock, flushPromises } from '../../src/system/clock.js';
import type { Logger } from '../../src/system/log.js';
import { silentLogger } from '../../src/system/log.js';
import { Random } from '../../src/system/random.js';
import { captureLog } from '../helpers/log-capture.js';
import type { TestContext } from '../helpers/tap-types.js';

const AUDIENCE = 'store-sim';
const KID = 'sim-cloud-1';
const MINUTE = 60_000;
const INPUTS: InputLine[] = ['beamOuter', 'beamInner', 'position', 'exitRequest', 'fireAlarm', 'tamper'];

const model = (name: string) => loadGateProfile(join(import.meta.dirname, '../../devices', `${name}.yaml`));

interface GateSpec {
  id: string;
  role: 'entry' | 'exit';
  profile: GateProfile;
  qr?: boolean;
  palm?: boolean;
  /** No machine on the chip: a gate whose controller is dead never opens. */
  dead?: boolean;
}

/** Two ways in (a speed gate with QR and palm, a tripod turnstile with QR), two ways out. */
const store = (): GateSpec[] => [
  { id: 'gate-in', role: 'entry', profile: model('gate-swing'), qr: true, palm: true },
  { id: 'gate-tripod', role: 'entry', profile: model('gate-turnstile'), qr: true },
  { id: 'gate-door', role: 'exit', profile: model('gate-door') },
  { id: 'gate-out', role: 'exit', profile: model('gate-swing') },
];

type Seen = GateEmitted & { at: number };

interface Setup {
  seed: number;
  everySeconds: number;
  fireDrillEveryMinutes?: number;
  habits?: Partial<GateHabits>;
  gates?: GateSpec[];
  log?: Logger;
  signingKey?: SimSigningKey;
  /** The fire panel cannot be reset: the store stays in its emergency. */
  panelJammed?: boolean;
}

/**
 * The gates wired as the daemon wires them, an authoriser that checks tokens with the real verifier
 * (palms are let in), and the store's emergency latch: any fire input opens every gate until reset.
 */
async function gatesUnderTest(t: TestContext, setup: Setup) {
  const clock = new FakeClock();
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const signingKey = setup.signingKey ?? ({ ...jwk, kid: KID } as SimSigningKey);
  const cache = new SqliteReplayCache(join(t.testdir(), 'replay.db'));
  t.teardown(() => cache.close());
  const verifier = new QrTokenVerifier(
    {
      audience: AUDIENCE,
      keys: [{ kid: KID, x: jwk.x as string }],
      clockSkewSeconds: 30,
      maxTokenBytes: 2048,
      maxPartySize: 8,
    },
    cache,
  );
  // Signatures are checked on the thread pool; each answer is held to the end of the clock's step, so
  // it lands at the same simulated moment however long the check took in real time.
  const held: Array<() => Promise<void>> = [];
  const authorise: Authorise = ({ credentialKind, scan }) =>
    new Promise<Decision>((resolve) => {
      const code = scan.credential.reveal();
      const decided: Promise<Decision> =
        credentialKind === 'palm'
          ? Promise.resolve({ allow: true, partySize: 1, tripId: `trip-${code}` })
          : Promise.resolve(verifier.verify(code, clock.now())).then((v) =>
              v.ok
                ? { allow: true, partySize: v.partySize, tripId: `trip-${v.jti}` }
                : { allow: false, reason: v.reason },
            );
      held.push(async () => resolve(await decided));
    });

  const seen: Seen[] = [];
  const actors = new Map<string, GateActor>();
  const chips = new Map<string, SimGpioChip>();
  const entries: GateShoppersOptions['entries'][number][] = [];
  const exits: GateShoppersOptions['exits'][number][] = [];
  const fireInputs = new Set<string>();
  let emergency = false;
  const everyGate = (active: boolean) => {
    for (const actor of actors.values()) actor.send({ type: 'emergency', active });
  };
  for (const spec of setup.gates ?? store()) {
    const chip = new SimGpioChip(clock);
    chips.set(spec.id, chip);
    if (!spec.dead) {
      const lines = openGateLines(chip, spec.profile);
      const actor = createGateActor(
        { gateId: spec.id, role: spec.role, profile: spec.profile, write: lines.write },
        authorise,
        clock,
      );
      lines.watch((line, level) => actor.send({ type: 'input', line, level }));
      for (const type of ['passage', 'denied', 'alarm', 'fire', 'walkAway'] as const)
        actor.on(type, (e) => seen.push({ ...(e as GateEmitted), at: clock.now() }));
      actor.on('fire', ({ gateId, active }) => {
        if (active) fireInputs.add(gateId);
        else fireInputs.delete(gateId);
        if (active && !emergency) {
          emergency = true;
          everyGate(true);
        }
      });
      actor.start();
      actors.set(spec.id, actor);
    }
    const scanner = async (kind: 'qr' | 'palm') => {
      const device = new SimScanner(`${kind}-${spec.id}`, clock);
      await device.open();
      device.onData((scan) => actors.get(spec.id)?.send({ type: 'scan', credentialKind: kind, scan }));
      return device;
    };
    if (spec.role === 'entry')
      entries.push({
        gateId: spec.id,
        chip,
        profile: spec.profile,
        ...(spec.qr ? { qr: await scanner('qr') } : {}),
        ...(spec.palm ? { palm: await scanner('palm') } : {}),
      });
    else exits.push({ gateId: spec.id, chip, profile: spec.profile });
  }

  const resets: Array<{ at: number; inside: number }> = [];
  const shoppers: GateShoppers = new GateShoppers({
    entries,
    exits,
    audience: AUDIENCE,
    signingKey,
    clock,
    random: new Random(setup.seed),
    everySeconds: setup.everySeconds,
    fireDrillEveryMinutes: setup.fireDrillEveryMinutes ?? 0,
    resetEmergency: () => {
      // As the store machine does: refused while a fire input is still on.
      if (fireInputs.size > 0) throw new Error('the fire alarm is still on');
      if (setup.panelJammed) throw new Error('the key does not turn');
      resets.push({ at: clock.now(), inside: shoppers.inside });
      emergency = false;
      everyGate(false);
    },
    log: setup.log ?? silentLogger(),
    habits: setup.habits ?? {},
  });

  const STEP = 50;
  /** Runs the store for `ms` of simulated time. */
  const run = async (ms: number) => {
    for (let done = 0; done < ms; done += STEP) {
      await clock.advanceAsync(STEP);
      while (held.length > 0) {
        for (const answer of held.splice(0)) await answer();
        await flushPromises();
      }
    }
  };
  /** Closing time: no new arrivals, and the run goes on until the last shopper is out. */
  const close = async (limit = 30 * MINUTE) => {
    shoppers.stopArrivals();
    for (let waited = 0; waited < limit; waited += 10_000) {
      if (shoppers.journeys.every((j) => j.endedAt !== undefined)) return;
      await run(10_000);
    }
  };
  const of = <T extends Seen['type']>(type: T, gateId?: string) =>
    seen.filter(
      (e): e is Extract<GateEmitted, { type: T }> & { at: number } =>
        e.type === type && (gateId === undefined || e.gateId === gateId),
    );
  return { clock, shoppers, seen, of, chips, actors, run, close, resets, signingKey };
}

const tripOf = (attempt: GateAttempt) =>
  attempt.credentialKind === 'palm' ? `trip-${attempt.code.reveal()}` : `trip-${attempt.jti}`;
const admittedBy = (journey: Journey) => journey.attempts.find((a) => a.opened);

t.test(
  'over half an hour every good credential lets its whole party in and every bad one is refused with its reason',
  async (t) => {
    const gates = await gatesUnderTest(t, {
      seed: 11,
      everySeconds: 15,
      habits: {
        group: 0.3,
        expired: 0.05,
        notYetValid: 0.05,
        forged: 0.12,
        replayed: 0.06,
        garbage: 0.05,
        tailgate: 0.08,
        force: 0.05,
      },
    });
    const { shoppers, of } = gates;
    shoppers.start();
    await gates.run(30 * MINUTE);
    await gates.close();
    const journeys = shoppers.journeys;
    t.ok(journeys.length > 80, `${journeys.length} arrivals in half an hour`);
    t.ok(
      journeys.every((j) => j.endedAt !== undefined),
      'every journey is over at closing time',
    );
    t.equal(shoppers.inside, 0, 'nobody is left in the store');

    const attempts = journeys.flatMap((j) => j.attempts.map((a) => ({ journey: j, attempt: a })));
    const flaws = new Set(attempts.map(({ attempt }) => attempt.flaw ?? 'good'));
    t.same(
      [...flaws].sort(),
      ['expired', 'forged_key', 'garbage', 'good', 'not_yet_valid', 'replayed', 'tampered', 'unknown_key'],
      'the mix has good credentials and every kind of bad one',
    );
    t.ok(
      attempts.some(({ attempt }) => attempt.credentialKind === 'palm'),
      'some shoppers show a palm',
    );
    t.ok(
      journeys.some((j) => j.partySize > 1),
      'some come as a group',
    );
    t.ok(
      journeys.some((j) => j.attempts.length === 2 && j.attempts[1]?.opened),
      'someone refused tries again with a good token and gets in',
    );

    // Every good credential opens the gate for exactly its party; every bad one is refused for its flaw.
    for (const { journey, attempt } of attempts) {
      const what = `shopper ${journey.id} (${attempt.flaw ?? 'good'} ${attempt.credentialKind}) at ${journey.gateId}`;
      if (!attempt.flaw) {
        t.ok(attempt.opened, `${what}: the gate opens`);
        const passages = of('passage', journey.gateId).filter((p) => p.tripId === tripOf(attempt));
        t.equal(passages.length, journey.partySize, `${what}: ${journey.partySize} passage(s) on the trip`);
        t.ok(
          passages.every((p) => p.direction === 'in' && p.authorised),
          `${what}: authorised, inward`,
        );
        t.equal(journey.walkedIn, journey.partySize, `${what}: the whole party walked in`);
      } else {
        t.notOk(attempt.opened, `${what}: the gate stays locked`);
        const denial = of('denied', journey.gateId).find(
          (d) => d.at >= attempt.at && d.at < attempt.at + 1000,
        );
        t.equal(denial?.reason, refusalFor[attempt.flaw], `${what}: refused as ${refusalFor[attempt.flaw]}`);
      }
    }
    t.equal(
      of('denied').length,
      attempts.filter(({ attempt }) => attempt.flaw).length,
      'no refusal without a bad credential',
    );

    const tailgated = journeys.filter((j) => j.tailgaters > 0);
    const forced = journeys.filter((j) => j.forced);
    t.ok(
      tailgated.length > 0 && forced.length > 0,
      `${tailgated.length} tailgaters, ${forced.length} forced`,
    );
    for (const journey of tailgated) {
      const admitted = admittedBy(journey) as GateAttempt;
      t.ok(
        of('alarm', journey.gateId).some(
          (a) =>
            a.alarm === 'tailgate' &&
            a.state === 'raised' &&
            a.at > admitted.at &&
            a.at < admitted.at + 30_000,
        ),
        `the tailgater behind shopper ${journey.id} raises a tailgate alarm at ${journey.gateId}`,
      );
    }
    for (const journey of forced) {
      t.ok(
        of('alarm', journey.gateId).some(
          (a) =>
            a.alarm === 'forced_open' &&
            a.state === 'raised' &&
            a.at >= (journey.enteredAt as number) &&
            a.at < (journey.enteredAt as number) + 100,
        ),
        `shopper ${journey.id} forcing ${journey.gateId} raises forced_open`,
      );
    }
    const raised = (alarm: string) => of('alarm').filter((a) => a.alarm === alarm && a.state === 'raised');
    t.equal(raised('tailgate').length, tailgated.length, 'one tailgate alarm per tailgater, no more');
    t.equal(raised('forced_open').length, forced.length, 'one forced_open per forced entry, no more');
    t.same(
      of('alarm').filter((a) => !['tailgate', 'forced_open'].includes(a.alarm)),
      [],
      'no other alarm: no door held open, no beam stuck',
    );
    t.same(of('walkAway'), [], 'nobody the gate opened for walked away');

    // In and out.
    const inward = of('passage').filter((p) => p.direction === 'in');
    const walkedIn = journeys.reduce((n, j) => n + j.walkedIn + j.tailgaters, 0);
    t.equal(inward.length, walkedIn, `${walkedIn} people in, each a passage`);
    t.equal(
      inward.filter((p) => !p.authorised).length,
      tailgated.length + forced.length,
      'the unauthorised ones are the tailgaters and the forced',
    );
    const out = journeys.flatMap((j) => j.exits);
    t.equal(out.length, walkedIn, 'everyone who came in went out');
    t.same(
      journeys.filter((j) => j.exits.length !== j.walkedIn + j.tailgaters).map((j) => j.id),
      [],
      'every party left whole',
    );
    t.same(
      new Set(out.map((e) => `${e.gateId} ${e.how}`)),
      new Set(['gate-door request', 'gate-out free']),
      'by the button at the door, freely at the speed gate',
    );
    const outward = of('passage').filter((p) => p.direction === 'out');
    t.equal(outward.length, out.length, 'each person out is a passage out');
    t.ok(
      outward.every((p) => p.authorised && ['gate-door', 'gate-out'].includes(p.gateId)),
      'through the exits, authorised',
    );
  },
);

t.test(
  'a fire drill opens every gate, everyone inside walks out, and the store is reset once the alarm is over',
  async (t) => {
    const gates = await gatesUnderTest(t, { seed: 5, everySeconds: 8, fireDrillEveryMinutes: 8 });
    const { shoppers, of, chips } = gates;
    shoppers.start();
    await gates.run(45 * MINUTE);
    await gates.close();
    // The last drill may have rung at closing time: it is over once it has been reset.
    while (shoppers.drills.at(-1)?.resetAt === undefined) await gates.run(10_000);
    const drills = shoppers.drills;
    t.ok(drills.length >= 2, `${drills.length} drills in 45 minutes`);
    t.equal(gates.resets.length, drills.length, 'each drill was reset once');
    t.ok(
      drills.some((d) => d.inside > 3 && d.evacuated > 3),
      'shoppers were in the store when the alarm rang',
    );
    for (const [k, drill] of drills.entries()) {
      const { startedAt, clearedAt = Number.NaN, resetAt = Number.NaN } = drill;
      t.ok(startedAt < clearedAt && clearedAt < resetAt, `drill ${k + 1}: rings, stops, is reset`);
      const fire = of('fire', drill.gateId).filter((f) => f.at >= startedAt && f.at <= clearedAt + 100);
      t.same(
        fire.map((f) => f.active),
        [true, false],
        `drill ${k + 1}: the fire input at ${drill.gateId} goes on, then off`,
      );
      for (const [gateId, chip] of chips) {
        const opened = chip
          .writes('unlock')
          .some((w) => w.level === 1 && w.at >= startedAt && w.at <= startedAt + 200);
        t.ok(opened, `drill ${k + 1}: ${gateId} opens at once`);
      }
      t.equal(gates.resets[k]?.inside, 0, `drill ${k + 1}: nobody was inside at the reset`);
      t.same(
        shoppers.journeys.filter((j) => j.arrivedAt > startedAt && j.arrivedAt < resetAt).map((j) => j.id),
        [],
        `drill ${k + 1}: nobody arrives until the reset`,
      );
      const during = shoppers.journeys
        .flatMap((j) => j.exits)
        .filter((e) => e.at >= startedAt && e.at <= resetAt);
      t.ok(
        during.length >= drill.inside && during.every((e) => e.how !== 'forced'),
        `drill ${k + 1}: the ${drill.inside} inside when it rang walked out through open gates`,
      );
      t.equal(
        during.filter((e) => e.how === 'evacuation').length,
        drill.evacuated,
        `drill ${k + 1}: ${drill.evacuated} of them hurried out because of it`,
      );
      t.same(
        of('alarm').filter((a) => a.at >= startedAt && a.at <= resetAt),
        [],
        `drill ${k + 1}: no alarm from people leaving through open gates`,
      );
    }
    const firstReset = gates.resets[0]?.at ?? Number.POSITIVE_INFINITY;
    t.ok(
      shoppers.journeys.some((j) => j.arrivedAt > firstReset && j.outcome === 'entered'),
      'after the reset the gates let shoppers in again',
    );
    t.ok(
      shoppers.journeys.some((j) => j.outcome === 'turnedAway'),
      'someone at the entry when the alarm rang turned away',
    );
    t.same(
      of('alarm').filter((a) => !['tailgate', 'forced_open'].includes(a.alarm)),
      [],
      'no door held open, no beam stuck',
    );
  },
);

t.test(
  'stopping the shoppers mid-evacuation releases every beam, button and fire alarm and leaves no timer',
  async (t) => {
    const gates = await gatesUnderTest(t, { seed: 5, everySeconds: 8, fireDrillEveryMinutes: 8 });
    const { shoppers, chips, clock } = gates;
    shoppers.start();
    const active = () =>
      [...chips].flatMap(([gateId, chip]) =>
        INPUTS.filter((line) => chip.level(line) === 1).map((line) => `${gateId} ${line}`),
      );
    let held: string[] = [];
    for (let k = 0; k < 60 * 60 * 20; k++) {
      await gates.run(50);
      held = active();
      if (held.some((h) => h.endsWith('fireAlarm')) && held.some((h) => h.endsWith('beamInner'))) break;
    }
    t.ok(held.length >= 2, `caught in the act: ${held.join(', ')}`);
    shoppers.stop();
    shoppers.stop();
    await gates.run(500);
    t.same(active(), [], 'every input the shoppers held is at rest');
    t.ok(
      [...chips.values()].every((chip) =>
        INPUTS.every((line) => chip.wire(line) === undefined || chip.level(line) === 0),
      ),
      'and reads inactive through its polarity',
    );
    const pending = clock.pending;
    await gates.run(10 * MINUTE);
    t.ok(clock.pending <= pending, 'no shopper comes back');
    const journeys = shoppers.journeys.length;
    for (const actor of gates.actors.values()) actor.stop();
    t.equal(clock.pending, 0, 'no timer left');
    t.equal(shoppers.journeys.length, journeys, 'and nobody new arrived');
  },
);

t.test('at a door, shoppers push it open, let it close behind them, and leave by its button', async (t) => {
  const doorModel = model('gate-door');
  // A button without debounce: the door opens in the very instant it is pressed.
  const door: GateProfile = {
    ...doorModel,
    inputs: { ...doorModel.inputs, exitRequest: { activeLow: true, debounceMs: 0 } },
  };
  const gates = await gatesUnderTest(t, {
    seed: 3,
    everySeconds: 20,
    habits: { force: 0.15, tailgate: 0.15, palm: 0 },
    gates: [{ id: 'gate-door', role: 'entry', profile: door, qr: true }],
  });
  const { shoppers, of, chips } = gates;
  shoppers.start();
  await gates.run(30 * MINUTE);
  await gates.close();
  const journeys = shoppers.journeys;
  const position = (chips.get('gate-door') as SimGpioChip).level('position');
  t.equal(position, 0, 'the door is shut at the end');
  const forced = journeys.filter((j) => j.forced);
  t.ok(forced.length > 0, `${forced.length} pushed the locked door`);
  for (const journey of forced)
    t.ok(
      of('alarm').some(
        (a) =>
          a.alarm === 'forced_open' &&
          a.state === 'raised' &&
          a.at > (journey.enteredAt as number) - 3000 &&
          a.at < (journey.enteredAt as number) + 100,
      ),
      `shopper ${journey.id} pushing the locked door raises forced_open`,
    );
  const tailgated = journeys.filter((j) => j.tailgaters > 0);
  t.ok(tailgated.length > 0, `${tailgated.length} slipped in behind someone`);
  t.equal(of('alarm').filter((a) => a.alarm === 'tailgate' && a.state === 'raised').length, tailgated.length);
  const out = journeys.flatMap((j) => j.exits);
  t.ok(
    out.length > 20 && out.every((e) => e.gateId === 'gate-door' && e.how === 'request'),
    'out by the exit button of the entry door',
  );
  t.equal(
    of('passage').filter((p) => p.direction === 'out' && p.authorised).length,
    out.length,
    'each press lets one out, counted',
  );
  t.same(
    of('alarm').filter((a) => a.alarm === 'held_open' || a.alarm === 'input_fault'),
    [],
    'the door never stood open too long',
  );
});

t.test(
  'a gate that never opens: shoppers give up, try once more, and push their way out of a dead exit',
  async (t) => {
    const swing = model('gate-swing');
    const gates = await gatesUnderTest(t, {
      seed: 8,
      everySeconds: 30,
      habits: { force: 0.3, retry: 1 },
      gates: [
        { id: 'gate-dead', role: 'entry', profile: swing, qr: true, dead: true },
        { id: 'gate-exit', role: 'exit', profile: model('gate-door'), dead: true },
      ],
    });
    const { shoppers } = gates;
    shoppers.start();
    await gates.run(20 * MINUTE);
    await gates.close();
    const journeys = shoppers.journeys;
    const scanned = journeys.filter((j) => !j.forced);
    t.ok(scanned.length > 5, `${scanned.length} scanned`);
    t.ok(
      scanned.every((j) => j.outcome === 'notAdmitted' && j.attempts.length === 2 && !j.attempts[1]?.flaw),
      'each gave up, tried again with a good token, and went home',
    );
    t.ok(
      scanned.every((j) => j.attempts.every((a) => a.heard && !a.opened)),
      'the scanner heard them; the gate never opened',
    );
    const inside = journeys.filter((j) => j.forced);
    t.ok(inside.length > 0, `${inside.length} climbed in anyway`);
    t.ok(
      inside.every(
        (j) => j.exits.length === 1 && j.exits[0]?.how === 'forced' && j.exits[0].gateId === 'gate-exit',
      ),
      'they pressed the button three times and pushed the dead door open',
    );
  },
);

t.test(
  'with no exit gate and no exit button, shoppers leave the way they came and it counts as forced',
  async (t) => {
    const swing = model('gate-swing');
    const bare: GateProfile = {
      ...swing,
      inputs: { beamOuter: swing.inputs.beamOuter, beamInner: swing.inputs.beamInner },
      timing: { ...swing.timing, relockDelayMs: 0 },
    };
    const gates = await gatesUnderTest(t, {
      seed: 2,
      everySeconds: 20,
      fireDrillEveryMinutes: 5,
      habits: { tailgate: 1, palm: 0 },
      gates: [{ id: 'gate-bare', role: 'entry', profile: bare, qr: true }],
    });
    const { shoppers, of } = gates;
    shoppers.start();
    await gates.run(20 * MINUTE);
    await gates.close();
    const journeys = shoppers.journeys;
    t.same(shoppers.drills, [], 'no fire drill without a fire-alarm input');
    t.ok(
      journeys.some((j) => j.outcome === 'entered'),
      'shoppers got in',
    );
    t.same(
      journeys.filter((j) => j.tailgaters > 0).map((j) => j.id),
      [],
      'nobody can slip in behind when the gate relocks at once',
    );
    const out = journeys.flatMap((j) => j.exits);
    t.ok(out.length > 0 && out.every((e) => e.how === 'forced'), 'out through the entry gate, unbidden');
    t.ok(
      of('passage')
        .filter((p) => p.direction === 'out')
        .every((p) => !p.authorised),
      'the gate reports them as passages nobody opened for',
    );
  },
);

t.test('what the shoppers show never reaches the log: a shopper by number, a token by its jti', async (t) => {
  const capture = captureLog();
  const gates = await gatesUnderTest(t, {
    seed: 4,
    everySeconds: 10,
    fireDrillEveryMinutes: 4,
    log: capture.log,
    panelJammed: true,
  });
  gates.shoppers.start();
  await gates.run(15 * MINUTE);
  gates.shoppers.stop();
  const codes = gates.shoppers.journeys.flatMap((j) => j.attempts.map((a) => a.code.reveal()));
  t.ok(
    codes.some((c) => c.startsWith('palm-sim-')) && codes.some((c) => c.split('.').length === 3),
    'palms and tokens were shown',
  );
  const text = capture.text();
  t.same(
    codes.filter((code) => text.includes(code)),
    [],
    'no token and no palm handle in the log',
  );
  t.notOk(text.includes(gates.signingKey.d), 'nor the signing key');
  const scans = capture.lines.filter((l) => l.msg === 'simulated shopper scans');
  t.ok(scans.length > 10 && scans.some((l) => typeof l.jti === 'string'), 'scans are logged with the jti');
  t.ok(
    capture.lines.some((l) => l.msg === 'simulated fire drill: the alarm rings'),
    'a fire drill is worth an info line',
  );
  t.match(
    capture.lines.find((l) => l.msg === 'simulated fire drill: the reset failed'),
    { level: 'warn', err: { message: 'the key does not turn' } },
    'a reset the panel refuses is a warning',
  );
  t.match(
    JSON.stringify(gates.shoppers.journeys[0]),
    /"code":"\[secret\]"/,
    'a journey printed shows no code',
  );
});

t.test('nobody comes when the rate is 0; bad settings are refused up front', async (t) => {
  const gates = await gatesUnderTest(t, { seed: 1, everySeconds: 0, fireDrillEveryMinutes: 0 });
  gates.shoppers.start();
  gates.shoppers.start();
  await gates.run(MINUTE);
  t.same(gates.shoppers.journeys, [], 'an empty store');
  gates.shoppers.stop();

  const base = {
    entries: [],
    exits: [],
    audience: AUDIENCE,
    signingKey: gates.signingKey,
    clock: gates.clock,
    random: new Random(1),
    everySeconds: 10,
    fireDrillEveryMinutes: 0,
    log: silentLogger(),
  };
  t.throws(() => new GateShoppers({ ...base, everySeconds: -1 }), /everySeconds must be >= 0/);
  t.throws(() => new GateShoppers({ ...base, fireDrillEveryMinutes: Number.NaN }), /fireDrillEveryMinutes/);
  const { d: _d, ...publicOnly } = gates.signingKey;
  t.throws(
    () => new GateShoppers({ ...base, signingKey: publicOnly as SimSigningKey }),
    /signing key is not an Ed25519 private JWK/,
    'a public key cannot sign',
  );
  const x25519 = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  t.throws(
    () => new GateShoppers({ ...base, signingKey: { ...x25519, kid: KID } as SimSigningKey }),
    /signing key is x25519, not Ed25519/,
    'a key for key agreement cannot sign either',
  );
  const empty = new GateShoppers(base);
  empty.start();
  await gates.run(MINUTE);
  t.same(empty.journeys, [], 'no entry gate, nobody comes');
  empty.stop();
});

/** The simulated cloud's key, made here at once (node:crypto), for tests without a verifier. */
function simKey(): SimSigningKey {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { ...(jwk as { crv: string; x: string; d: string }), kid: KID };
}

const goodOnly: Partial<GateHabits> = {
  expired: 0,
  notYetValid: 0,
  forged: 0,
  replayed: 0,
  garbage: 0,
  tailgate: 0,
  force: 0,
};

t.test(
  'a replayed token is refused as replayed; with nothing to copy yet, a shopper shows their own',
  async (t) => {
    const gates = await gatesUnderTest(t, {
      seed: 9,
      everySeconds: 30,
      habits: { ...goodOnly, replayed: 1, palm: 0, retry: 0 },
      gates: [{ id: 'gate-in', role: 'entry', profile: model('gate-swing'), qr: true }],
    });
    const { shoppers, of } = gates;
    const ended: Journey[] = [];
    shoppers.onJourney((j) => ended.push(j));
    shoppers.start();
    await gates.run(20 * MINUTE);
    await gates.close();
    const attempts = shoppers.journeys.flatMap((j) => j.attempts);
    const replays = attempts.filter((a) => a.flaw === 'replayed');
    const own = attempts.filter((a) => !a.flaw);
    t.ok(replays.length > 10, `${replays.length} replays`);
    t.ok(
      own.length > 1 && own.every((a) => a.opened),
      `${own.length} with nothing to copy came in on their own`,
    );
    t.ok(
      replays.every((r) =>
        own.some((a) => a.jti === r.jti && a.at < r.at && a.code.reveal() === r.code.reveal()),
      ),
      'each replay is a token someone came in on',
    );
    t.same([...new Set(of('denied').map((d) => d.reason))], ['replayed'], 'refused as replayed');
    t.equal(of('denied').length, replays.length, 'every one of them');
    t.equal(ended.length, shoppers.journeys.length, 'each journey was told as it ended');
    t.ok(
      ended.every((j, k) => k === 0 || (j.endedAt as number) >= (ended[k - 1]?.endedAt as number)),
      'in the order they ended',
    );
  },
);

t.test(
  'at a gate without a scanner only those who force it get in; at a palm-only gate everyone shows a palm',
  async (t) => {
    const swing = model('gate-swing');
    const gates = await gatesUnderTest(t, {
      seed: 12,
      everySeconds: 20,
      habits: { force: 0.2 },
      gates: [
        { id: 'gate-palm', role: 'entry', profile: swing, palm: true },
        { id: 'gate-bare', role: 'entry', profile: swing },
        { id: 'gate-out', role: 'exit', profile: swing },
      ],
    });
    gates.shoppers.start();
    await gates.run(20 * MINUTE);
    await gates.close();
    const journeys = gates.shoppers.journeys;
    const at = (gateId: string) => journeys.filter((j) => j.gateId === gateId);
    t.ok(at('gate-bare').length > 0, `${at('gate-bare').length} at the gate without scanner`);
    t.ok(
      at('gate-bare').every((j) => j.forced && j.attempts.length === 0),
      'none of them scanned: they forced it',
    );
    t.ok(
      at('gate-palm').length > 20 &&
        at('gate-palm').every(
          (j) => j.forced || (j.partySize === 1 && j.attempts.every((a) => a.credentialKind === 'palm')),
        ),
      'at the palm gate, one palm per person',
    );

    const lonely = await gatesUnderTest(t, {
      seed: 12,
      everySeconds: 5,
      habits: { force: 0.1 },
      gates: [{ id: 'gate-bare', role: 'entry', profile: swing }],
    });
    lonely.shoppers.start();
    await lonely.run(10 * MINUTE);
    lonely.shoppers.stop();
    const few = lonely.shoppers.journeys;
    t.ok(
      few.length > 0 && few.length < 30 && few.every((j) => j.forced),
      `with no scanner anywhere, only the ${few.length} who force the gate come at all`,
    );
  },
);

t.test('a turnstile that gives a group one pulse lets one in; the rest stay outside', async (t) => {
  const clock = new FakeClock();
  const chip = new SimGpioChip(clock);
  const turnstile = model('gate-turnstile');
  // A controller that pulses once per scan, and never for the next of a party.
  const unlock = chip.open({ name: 'unlock', direction: 'out', activeLow: true });
  const scanner = new SimScanner('qr-tripod', clock);
  await scanner.open();
  scanner.onData(() => {
    unlock.write(1);
    clock.setTimeout(() => unlock.write(0), turnstile.unlock.pulseMs);
  });
  const shoppers = new GateShoppers({
    entries: [{ gateId: 'gate-tripod', chip, profile: turnstile, qr: scanner }],
    exits: [],
    audience: AUDIENCE,
    signingKey: simKey(),
    clock,
    random: new Random(6),
    everySeconds: 60,
    fireDrillEveryMinutes: 0,
    log: silentLogger(),
    habits: { ...goodOnly, group: 1 },
  });
  shoppers.start();
  clock.advance(10 * MINUTE);
  shoppers.stop();
  const entered = shoppers.journeys.filter((j) => j.outcome === 'entered');
  t.ok(entered.length > 3, `${entered.length} groups`);
  t.ok(
    entered.every((j) => j.partySize > 1 && j.walkedIn === 1),
    'of each group, the one the pulse was for walked in',
  );
  t.ok(
    shoppers.journeys.flatMap((j) => j.exits).every((e) => e.how === 'forced'),
    'and, the button doing nothing, left by pushing the arm',
  );
});

t.test('with one narrow gate the fire panel is reset only once the last shopper is out', async (t) => {
  const gates = await gatesUnderTest(t, {
    seed: 21,
    everySeconds: 5,
    fireDrillEveryMinutes: 15,
    habits: { stayMinutes: 30, palm: 0 },
    gates: [{ id: 'gate-tripod', role: 'entry', profile: model('gate-turnstile'), qr: true }],
  });
  const { shoppers } = gates;
  shoppers.start();
  while (shoppers.drills[0]?.resetAt === undefined) await gates.run(10_000);
  const [drill] = shoppers.drills as [Required<(typeof shoppers.drills)[number]>];
  t.ok(drill.inside > 50, `${drill.inside} inside when the alarm rang`);
  t.equal(gates.resets[0]?.inside, 0, 'nobody inside at the reset');
  const lastOut = Math.max(...shoppers.journeys.flatMap((j) => j.exits).map((e) => e.at));
  t.ok(
    drill.resetAt > drill.clearedAt + 30_000 && drill.resetAt > lastOut,
    `the reset came ${Math.round((drill.resetAt - drill.clearedAt) / 1000)} s after the alarm stopped, after the last one out`,
  );
  shoppers.stop();
});

t.test(
  'the simulated store sends shoppers through its own gates and scanners, and stops them with itself',
  async (t) => {
    const clock = new FakeClock();
    const devices: Config['devices'] = {
      buses: [],
      gates: [
        { id: 'gate-in', role: 'entry', driver: 'sim', profile: 'gate-swing' },
        { id: 'gate-out', role: 'exit', driver: 'sim', profile: 'gate-swing' },
      ],
      scanners: [
        { id: 'qr-in', kind: 'qr', gateId: 'gate-in', driver: 'sim' },
        { id: 'palm-in', kind: 'palm', gateId: 'gate-in', driver: 'sim' },
      ],
      shelves: [],
      cameras: [],
    };
    const sim = new SimStore(devices, undefined, clock, silentLogger());
    const swing = model('gate-swing');
    const passages: string[] = [];
    let gateIn: GateActor | undefined;
    for (const { id, role } of devices.gates) {
      const lines = openGateLines(sim.gpio(id), swing);
      const actor = createGateActor(
        { gateId: id, role, profile: swing, write: lines.write },
        async () => ({ allow: true, partySize: 1, tripId: 'trip' }),
        clock,
      );
      lines.watch((line, level) => actor.send({ type: 'input', line, level }));
      actor.on('passage', (p) => passages.push(`${p.gateId} ${p.direction}`));
      actor.start();
      if (id === 'gate-in') gateIn = actor;
      t.teardown(() => actor.stop());
    }
    const scans: string[] = [];
    for (const { id, kind } of devices.scanners) {
      const scanner = sim.scanner(id);
      await scanner.open();
      scanner.onData((scan) => {
        scans.push(kind);
        gateIn?.send({ type: 'scan', credentialKind: kind, scan });
      });
    }
    const shoppers = sim.shoppersAtGates({
      gates: devices.gates.map((g) => ({ id: g.id, role: g.role, profile: swing })),
      scanners: devices.scanners,
      audience: AUDIENCE,
      signingKey: simKey(),
      everySeconds: 20,
      fireDrillEveryMinutes: 0,
      habits: goodOnly,
    });
    t.throws(
      () =>
        sim.shoppersAtGates({
          gates: [{ id: 'gate-nope', role: 'entry', profile: swing }],
          scanners: [],
          audience: AUDIENCE,
          signingKey: simKey(),
          everySeconds: 20,
          fireDrillEveryMinutes: 0,
        }),
      /no simulated gate "gate-nope"/,
    );
    sim.start();
    await clock.advanceAsync(10 * MINUTE);
    t.ok(shoppers.journeys.length > 15, `${shoppers.journeys.length} arrivals`);
    t.same(new Set(scans), new Set(['qr', 'palm']), 'both scanners at the entry were shown credentials');
    t.ok(
      passages.includes('gate-in in') && passages.includes('gate-out out'),
      'in at the entry, out at the exit',
    );
    sim.stop();
    t.equal(sim.gpio('gate-in').level('beamOuter'), 0, 'the store let go of every beam');
  },
);
