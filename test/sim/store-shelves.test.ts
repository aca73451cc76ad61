import t from 'tap';
import type { Config } from '../../src/config/schema.js';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import { SimShelf } from '../../src/drivers/weight/sim.js';
import type { PlanogramEntry, Product } from '../../src/sensing/types.js';
import { plateTarget } from '../../src/sim/faults.js';
import { type Fault, FaultScheduler, type ShelfAction, SimStore } from '../../src/sim/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Random } from '../../src/system/random.js';

const devices: Config['devices'] = {
  buses: [],
  gates: [],
  scanners: [],
  shelves: [
    { id: 'shelf-a1', driver: 'sim', plates: 4, sampleRateHz: 40, cameras: [], planogram: [] },
    {
      id: 'shelf-b1',
      driver: 'sim',
      plates: 6,
      sampleRateHz: 40,
      cameras: [],
      planogram: [],
      sensing: { capacityGrams: 3000 },
    },
  ],
  cameras: [],
};

const catalogue = new Map<string, Product>([
  ['cola-330', { sku: 'cola-330', grams: 355, spreadGrams: 4 }],
  ['crisps-150', { sku: 'crisps-150', grams: 160, spreadGrams: 5 }],
]);
const planograms = new Map<string, PlanogramEntry[]>([
  ['shelf-a1', [{ sku: 'cola-330', plates: [0, 1] }]],
  ['shelf-b1', [{ sku: 'crisps-150', plates: [3] }]],
]);

t.test('the store sends shoppers to its shelves; they stock, pick, and stop with the store', async (t) => {
  const clock = new FakeClock();
  const store = new SimStore(
    devices,
    {
      seed: 4,
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
  const before = store.shelf('shelf-a1').grams(0) + store.shelf('shelf-a1').grams(1);
  const shoppers = store.shoppersAtShelves(planograms, catalogue, 10);
  const after = store.shelf('shelf-a1').grams(0) + store.shelf('shelf-a1').grams(1);
  t.ok(Math.abs(after - before - 10 * 355) < 40, 'ten colas set out across plates 0 and 1');
  const actions: ShelfAction[] = [];
  shoppers.onAction((a) => actions.push(a));
  store.start();
  clock.advance(10 * 60_000);
  t.ok(actions.length > 30, `${actions.length} visits in 10 minutes`);
  t.same(new Set(actions.map((a) => a.shelfId)), new Set(['shelf-a1', 'shelf-b1']));
  store.stop();
  t.equal(clock.pending, 0, 'no timer of the shoppers is left');
  t.throws(
    () => store.shoppersAtShelves(new Map([['nope', []]]), catalogue, 10),
    /no simulated shelf "nope"/,
  );
});

t.test("a shelf's capacity from its sensing settings is where its simulated plates saturate", async (t) => {
  const clock = new FakeClock();
  const store = new SimStore(devices, undefined, clock, silentLogger());
  t.equal(store.shelf('shelf-b1').capacityGrams, 3000);
  t.equal(store.shelf('shelf-a1').capacityGrams, 20_000, 'the AiFi rating by default');
  const batches: SampleBatch[] = [];
  store.shelf('shelf-b1').onData((b) => batches.push(b));
  await store.shelf('shelf-b1').open();
  store.shelf('shelf-b1').place(2, 5000);
  clock.advance(2000);
  t.equal((batches.at(-1) as SampleBatch).values.at(-4), 3000);
  store.stop();
});

t.test('with plate faults on, plates go dead, stuck or noisy for a while and are repaired', (t) => {
  const clock = new FakeClock();
  const store = new SimStore(
    devices,
    {
      seed: 2,
      faultEverySeconds: 10,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
    clock,
    silentLogger(),
  );
  const faults: Fault[] = [];
  store.onFault((f) => faults.push(f));
  store.start();
  store.addPlateFaults();
  clock.advance(30 * 60_000);
  const kinds = new Set(faults.map((f) => f.kind));
  for (const kind of ['plate-dead', 'plate-stuck', 'plate-noisy', 'adapter-re-enumerating'])
    t.ok(kinds.has(kind as Fault['kind']), `${kind} happens`);
  const plateFault = faults.find((f) => f.kind === 'plate-stuck') as Fault;
  t.match(plateFault.reason, /^plate \d stuck on one reading$/);
  const shelfIds = ['shelf-a1', 'shelf-b1'];
  const failing = () =>
    shelfIds.flatMap((id) =>
      Array.from({ length: store.shelf(id).plates }, (_, p) => store.shelf(id).failure(p)).filter(Boolean),
    );
  while (!store.faults.faulted.length || !faults.at(-1)?.kind.startsWith('plate-')) clock.advance(500);
  t.equal(failing().length, 1, 'one plate failing');
  store.stop();
  t.same(failing(), [], 'stopping the store repairs the plates');
  t.end();
});

t.test('a fault scheduler with nothing to fail starts when plates are added', (t) => {
  const clock = new FakeClock();
  const shelf = new SimShelf({ id: 'shelf-c1', plates: 3, sampleRateHz: 40 }, clock, new Random(1));
  const faults: Fault[] = [];
  const scheduler = new FaultScheduler({
    targets: [],
    everySeconds: 5,
    durationSeconds: 600,
    clock,
    random: new Random(2),
    log: silentLogger(),
    onFault: (f) => faults.push(f),
  });
  scheduler.start();
  t.equal(clock.pending, 0, 'nothing to fail, nothing scheduled');
  scheduler.add(plateTarget('shelf-c1', shelf));
  clock.advance(60_000);
  t.equal(faults.length, 1, 'the plate fails');
  const failed = [0, 1, 2].filter((p) => shelf.failure(p) !== undefined);
  t.equal(failed.length, 1);
  scheduler.add(plateTarget('shelf-c1', shelf));
  t.equal(clock.pending, 2, 'adding to a running scheduler does not schedule twice');
  scheduler.stop();
  t.same(
    [0, 1, 2].map((p) => shelf.failure(p)),
    [undefined, undefined, undefined],
  );
  t.end();
});
