// The shoppers at the shelves are the parties the gates let in: nobody takes anything from an empty
// store, every action names a party inside, and a party that has gone home takes its item with it.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import type { Config } from '../../src/config/schema.js';
import { loadGateProfile } from '../../src/drivers/gpio/gate-profile.js';
import { SimShelf } from '../../src/drivers/weight/sim.js';
import { createGateActor } from '../../src/machines/gate.js';
import { openGateLines } from '../../src/machines/gate-lines.js';
import type { Product } from '../../src/sensing/types.js';
import type { SimSigningKey } from '../../src/sim/gate-credentials.js';
import { type ShelfAction, ShelfShoppers, SimStore } from '../../src/sim/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Random } from '../../src/system/random.js';

const MINUTE = 60_000;

const catalogue = new Map<string, Product>([
  ['cola-330', { sku: 'cola-330', grams: 355, spreadGrams: 4 }],
  ['crisps-150', { sku: 'crisps-150', grams: 160, spreadGrams: 5 }],
]);

t.test(
  'with shoppers at the gates, nobody takes anything from an empty store, and every action names a party inside',
  async (t) => {
    const clock = new FakeClock();
    const devices: Config['devices'] = {
      buses: [],
      gates: [
        { id: 'gate-in', role: 'entry', driver: 'sim', profile: 'gate-swing' },
        { id: 'gate-out', role: 'exit', driver: 'sim', profile: 'gate-swing' },
      ],
      scanners: [{ id: 'qr-in', kind: 'qr', gateId: 'gate-in', driver: 'sim' }],
      shelves: [
        { id: 'shelf-a1', driver: 'sim', plates: 4, sampleRateHz: 40, cameras: [], planogram: [] },
        { id: 'shelf-b1', driver: 'sim', plates: 4, sampleRateHz: 40, cameras: [], planogram: [] },
      ],
      cameras: [],
    };
    const sim = new SimStore(
      devices,
      {
        seed: 8,
        faultEverySeconds: 0,
        faultDurationSeconds: 4,
        shoppersEverySeconds: 0,
        plateFaults: false,
        gateShoppersEverySeconds: 0,
        fireDrillEveryMinutes: 0,
      },
      clock,
      silentLogger(),
    );
    // Real gate machines on the simulated lines, letting in every token shown.
    const swing = loadGateProfile(join(import.meta.dirname, '../../devices/gate-swing.yaml'));
    const gateIn = new Map<string, ReturnType<typeof createGateActor>>();
    for (const { id, role } of devices.gates) {
      const lines = openGateLines(sim.gpio(id), swing);
      const actor = createGateActor(
        { gateId: id, role, profile: swing, write: lines.write },
        async () => ({ allow: true, partySize: 1, tripId: 'trip' }),
        clock,
      );
      lines.watch((line, level) => actor.send({ type: 'input', line, level }));
      actor.start();
      gateIn.set(id, actor);
      t.teardown(() => actor.stop());
    }
    const qr = sim.scanner('qr-in');
    await qr.open();
    qr.onData((scan) => gateIn.get('gate-in')?.send({ type: 'scan', credentialKind: 'qr', scan }));
    const signing = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    // Few arrivals and short stays, so the store stands empty for long stretches.
    const atGates = sim.shoppersAtGates({
      gates: devices.gates.map((g) => ({ id: g.id, role: g.role, profile: swing })),
      scanners: devices.scanners,
      audience: 'store-sim',
      signingKey: { ...(signing as { crv: string; x: string; d: string }), kid: 'sim-1' } as SimSigningKey,
      everySeconds: 150,
      fireDrillEveryMinutes: 0,
      habits: { expired: 0, notYetValid: 0, forged: 0, replayed: 0, garbage: 0, force: 0, stayMinutes: 1 },
    });
    const planograms = new Map([
      ['shelf-a1', [{ sku: 'cola-330', plates: [0, 1] }]],
      ['shelf-b1', [{ sku: 'crisps-150', plates: [2] }]],
    ]);
    const shelves = sim.shoppersAtShelves(planograms, catalogue, 4, atGates);

    const strays: string[] = [];
    const actions: ShelfAction[] = [];
    shelves.onAction((a) => {
      actions.push(a);
      const inside = atGates.partiesInside;
      if (a.by !== undefined && inside.includes(a.by)) return;
      // A hand already on the shelf may still lift the item as its party heads for the exit.
      const journey = atGates.journeys.find((j) => j.id === a.by);
      const onItsWayOut = a.direction === 'pick' && journey !== undefined && journey.exits.length === 0;
      if (!onItsWayOut)
        strays.push(`${a.direction} at ${a.at} by ${a.by ?? 'nobody'} with [${inside}] inside`);
    });
    let seconds = 0;
    let emptySeconds = 0;
    const census = clock.setInterval(() => {
      seconds += 1;
      if (atGates.partiesInside.length === 0) emptySeconds += 1;
    }, 1000);

    sim.start();
    await clock.advanceAsync(120 * MINUTE);
    clock.clearInterval(census);
    sim.stop();

    t.ok(
      emptySeconds > seconds / 5 && emptySeconds < (seconds * 4) / 5,
      `the store stood empty ${Math.round((100 * emptySeconds) / seconds)} % of two hours`,
    );
    t.ok(actions.length > 100, `${actions.length} picks, puts and touches all the same`);
    t.same(strays, [], 'no action by nobody, nor by a party that was not inside');
    const parties = new Set(actions.map((a) => a.by));
    t.ok(parties.size > 10, `${parties.size} different parties at the shelves`);
    t.ok(
      actions.some((a) => a.direction === 'put'),
      'a put-back comes from a party still inside',
    );
  },
);

/** One shelf of colas, its shoppers told who is inside by `inside`. */
function colaShelf(inside: () => readonly number[]) {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 'shelf-a1', plates: 2, sampleRateHz: 40 }, clock, new Random(3));
  const shoppers = new ShelfShoppers({
    shelves: [{ shelf, planogram: [{ sku: 'cola-330', plates: [0] }] }],
    catalogue,
    clock,
    random: new Random(3),
    everySeconds: 5,
    log: silentLogger(),
    habits: { putBack: 1, touch: 0, handFirst: 0, takeTwo: 0, stock: 30 },
    inside,
  });
  const actions: ShelfAction[] = [];
  shoppers.onAction((a) => actions.push(a));
  return { clock, shoppers, actions };
}

t.test('a put-back due after its party left never happens: they took the item home', (t) => {
  let inside: number[] = [1];
  const { clock, shoppers, actions } = colaShelf(() => inside);
  shoppers.start();
  while (actions.length === 0) clock.advance(100);
  t.match(actions, [{ direction: 'pick', qty: 1, by: 1 }], 'party 1 takes a cola, meaning to put it back');
  // Party 1 walks out before the put-back is due (5 to 40 s later); party 2 comes in.
  inside = [2];
  clock.advance(10 * MINUTE);
  shoppers.stop();
  const byOne = actions.filter((a) => a.by === 1);
  t.same(
    byOne.map((a) => a.direction),
    ['pick'],
    'party 1 never puts its cola back',
  );
  const byTwo = actions.filter((a) => a.by === 2);
  t.ok(
    byTwo.filter((a) => a.direction === 'put').length === byTwo.filter((a) => a.direction === 'pick').length,
    `party 2, still inside, puts back each of its ${byTwo.length / 2} colas`,
  );
  t.equal(shoppers.stock('shelf-a1', 'cola-330'), 29, 'one cola short on the shelf: the one that went home');
  t.end();
});

t.test('an empty store gets no visit, and none saved up for the first party in', (t) => {
  let inside: number[] = [];
  const { clock, shoppers, actions } = colaShelf(() => inside);
  shoppers.start();
  clock.advance(10 * MINUTE);
  t.same(actions, [], 'ten minutes of an empty store, nothing touched');
  inside = [7];
  clock.advance(2000);
  t.ok(actions.length <= 1, 'the first party in is not sent on a spree of the visits missed');
  clock.advance(10 * MINUTE);
  shoppers.stop();
  t.ok(actions.length > 60, `${actions.length} actions in the next ten minutes`);
  t.ok(
    actions.every((a) => a.by === 7),
    'all by the one party inside',
  );
  t.end();
});

t.test('with nobody known to be inside, the shoppers do exactly what they did before', (t) => {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 'shelf-a1', plates: 4, sampleRateHz: 40 }, clock, new Random(5));
  const shoppers = new ShelfShoppers({
    shelves: [
      {
        shelf,
        planogram: [
          { sku: 'cola-330', plates: [0] },
          { sku: 'crisps-150', plates: [1, 2] },
        ],
      },
    ],
    catalogue,
    clock,
    random: new Random(5),
    everySeconds: 6,
    log: silentLogger(),
    habits: { putBack: 0.5 },
  });
  const actions: ShelfAction[] = [];
  shoppers.onAction((a) => actions.push(a));
  shoppers.start();
  clock.advance(10 * MINUTE);
  shoppers.stop();
  t.ok(
    actions.every((a) => !('by' in a)),
    'no action names a party',
  );
  const start = Date.UTC(2025, 0, 1);
  t.same(
    actions
      .slice(0, 8)
      .map(
        (a) => `${Math.round(a.at - start)} ms: ${a.direction} ${a.qty} ${a.sku}, ${a.grams.toFixed(1)} g`,
      ),
    GOLDEN,
    'the first visits, to the millisecond, as before parties were tracked',
  );
  t.equal(actions.length, 86, 'and as many in ten minutes');
  t.end();
});

/** What seed 5 gave before the shelves knew who was inside (taken from the code of that time). */
const GOLDEN = [
  '2384 ms: pick 1 crisps-150, 159.5 g',
  '6756 ms: pick 1 crisps-150, 158.6 g',
  '19644 ms: pick 1 cola-330, 355.9 g',
  '25968 ms: pick 1 cola-330, 363.6 g',
  '36116 ms: touch 0 crisps-150, 140.0 g',
  '42843 ms: touch 0 crisps-150, 467.0 g',
  '46792 ms: put 1 cola-330, 363.6 g',
  '60816 ms: pick 1 crisps-150, 151.3 g',
];
