import t from 'tap';
import { explainChange, type ItemOptions, productFrom } from '../../src/sensing/items.js';
import type { Explanation, PlanogramEntry, Product, ShelfChange } from '../../src/sensing/types.js';

// A 14-plate shelf with catalogue weights as real stores measure them (AIM3S, AiFi).
const products: Product[] = [
  { sku: 'cola-330', name: 'Cola 330 ml', grams: 355, spreadGrams: 4 },
  productFrom('dawn', 'Dawn dish liquid', [270.8, 273.5]),
  productFrom('taco-fire', 'Taco Bell Fire', [105.5]),
  productFrom('kitkat', 'Kit Kat King Size', [90.8, 86.8, 89.6, 89.9]),
  productFrom('kitkat-white', 'Kit Kat White King Size', [88.3, 82.8, 84.9, 89.1, 86.1, 88.4]),
  productFrom('fiji', 'FIJI WATER .5 LTR', [538]),
  { sku: 'lemonade', name: 'Lemonade 700 ml', grams: 710, spreadGrams: 6 },
];
const catalogue = new Map(products.map((p) => [p.sku, p]));
const planogram: PlanogramEntry[] = [
  { sku: 'cola-330', plates: [1] },
  { sku: 'dawn', plates: [3] },
  { sku: 'taco-fire', plates: [4, 5] },
  { sku: 'kitkat', plates: [6, 7] },
  { sku: 'kitkat-white', plates: [6, 7] },
  { sku: 'fiji', plates: [9] },
  { sku: 'lemonade', plates: [13] },
];

/** A settled change with these grams per plate (the others unchanged), read with 2 g of noise. */
function change(deltas: Record<number, number>, sigmaGrams = 2): ShelfChange {
  const plateDeltas = new Float64Array(14);
  const plates = Object.keys(deltas)
    .map(Number)
    .sort((a, b) => a - b);
  for (const p of plates) plateDeltas[p] = deltas[p] as number;
  const deltaGrams = plates.reduce((sum, p) => sum + (deltas[p] as number), 0);
  return {
    type: 'change',
    startedAt: 0,
    settledAt: 500,
    decidedAt: 600,
    plates,
    plateDeltas,
    deltaGrams,
    sigmaGrams,
  };
}

const explain = (c: ShelfChange, o: Partial<ItemOptions> = {}) => explainChange(c, planogram, catalogue, o);

/** The answer when it names items; fails the test with the anomaly's reason when it does not. */
function named(e: Explanation) {
  if (e.kind !== 'items') throw new Error(`expected items, got an anomaly: ${e.reason}`);
  return e;
}
/** The reason when it is an anomaly; fails the test with the items when it is not. */
function reasonOf(e: Explanation): string {
  if (e.kind !== 'anomaly') throw new Error(`expected an anomaly, got ${JSON.stringify(e.items)}`);
  return e.reason;
}

t.test('a -355 g change on the cola plate is one cola, picked', async (t) => {
  const answer = named(explain(change({ 1: -355 })));
  t.equal(answer.direction, 'pick');
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['cola-330', 1]],
  );
  t.ok(answer.confidence > 0.95, `confident (${answer.confidence})`);
  t.equal(answer.items[0]?.probability, answer.confidence, "one item: its probability is the answer's");
});

t.test('-710 g is two colas, not one 710 g bottle of a far-away product', async (t) => {
  const answer = named(explain(change({ 1: -710 })));
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['cola-330', 2]],
  );
  t.ok(answer.confidence > 0.9, `confident (${answer.confidence})`);
  // The lemonade is the right weight; the same change on its plate names it.
  t.same(
    named(explain(change({ 13: -710 }))).items.map((i) => i.sku),
    ['lemonade'],
  );
});

t.test('+105 g on plates 3-5 is a put of the product on plates 4-5', async (t) => {
  // As on AiFi's shelf: the item rests on its plates and leans on the neighbour.
  const answer = named(explain(change({ 3: 18, 4: 60.5, 5: 26.5 })));
  t.equal(answer.direction, 'put');
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['taco-fire', 1]],
  );
  t.ok(answer.confidence > 0.9, `confident (${answer.confidence})`);
});

t.test('a -576 g change where a 538 g water sits is still that water', async (t) => {
  // AiFi's recorded pick: -561 g on the water's plate, a little on each neighbour, 7 % off the catalogue.
  const answer = named(explain(change({ 8: -6.5, 9: -561, 10: -8.5 })));
  t.equal(answer.direction, 'pick');
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['fiji', 1]],
  );
  t.ok(answer.confidence > 0.9, `confident (${answer.confidence})`);
});

t.test('-250 g where only 355 g colas sit is an anomaly that says what it expected', async (t) => {
  t.equal(
    reasonOf(explain(change({ 1: -250 }))),
    '-250 g on plate 1 matches no item; nearest: 1 × Cola 330 ml = -355 g',
  );
  t.equal(
    reasonOf(explain(change({ 1: -1200 }))),
    '-1200 g on plate 1 matches no item; nearest: 3 × Cola 330 ml = -1065 g',
    'the nearest names a whole number of units',
  );
  t.equal(
    reasonOf(explain(change({ 0: -3.1, 2: -2.1 }))),
    '-5.2 g on plates 0, 2 matches no item; nearest: 1 × Dawn dish liquid = -272 g',
    'small changes keep a decimal, and plates that are not adjacent are listed apart',
  );
  t.match(
    reasonOf(explain(change({ 1: 250 }))),
    /^\+250 g on plate 1 matches no item; nearest: 1 × Cola 330 ml = \+355 g$/,
  );
});

t.test(
  'two products of equal weight on the same plate give a low-confidence answer or anomaly, never a confident wrong one',
  async (t) => {
    // Kit Kat (89.3 g) and Kit Kat White (86.6 g) share plates 6-7: the weight cannot tell them apart.
    const reason = reasonOf(explain(change({ 6: -40, 7: -48 })));
    t.match(reason, /^-88 g on plates 6-7 is ambiguous: /);
    t.match(reason, /1 × Kit Kat King Size = -89 g \(\d+ %\)/);
    t.match(reason, /1 × Kit Kat White King Size = -87 g \(\d+ %\)/);

    const forced = named(explain(change({ 6: -40, 7: -48 }), { minConfidence: 0 }));
    t.ok(forced.confidence < 0.6, `the best guess says it is a guess (${forced.confidence})`);
    t.ok(forced.confidence > 0.4, 'and is not below what a coin toss would give');
  },
);

t.test(
  'twins of exactly the same weight get the same answer whatever order the planogram lists them in',
  async (t) => {
    const twins = new Map([
      ['cola-a', { sku: 'cola-a', grams: 355, spreadGrams: 4 }],
      ['cola-b', { sku: 'cola-b', grams: 355, spreadGrams: 4 }],
    ]);
    const ab = explainChange(
      change({ 1: -355 }),
      [
        { sku: 'cola-a', plates: [1] },
        { sku: 'cola-b', plates: [1] },
      ],
      twins,
    );
    const ba = explainChange(
      change({ 1: -355 }),
      [
        { sku: 'cola-b', plates: [1] },
        { sku: 'cola-a', plates: [1] },
      ],
      twins,
    );
    t.same(ab, ba);
    t.match(reasonOf(ab), /ambiguous: 1 × cola-a = -355 g \(\d+ %\), 1 × cola-b = -355 g/);
  },
);

t.test('an anomaly names "nothing in the planogram" when that is one of the contenders', async (t) => {
  // 89 g on the taco plate: the bars next door could have been put down there, or something else was.
  const reason = reasonOf(explain(change({ 5: -89 })));
  t.match(reason, /is ambiguous: .*Kit Kat/);
  t.match(reason, /nothing in the planogram \(\d+ %\)/);
});

t.test('a change on a plate with no planogram entry is an anomaly', async (t) => {
  t.equal(
    reasonOf(explain(change({ 11: -300 }))),
    '-300 g on plate 11: no product on or next to it in the planogram',
  );
  t.match(reasonOf(explainChange(change({ 1: -355 }), [], catalogue)), /no product on or next to it/);
});

t.test('an item put back one plate off its place is still named, but with less confidence', async (t) => {
  const home = named(explain(change({ 3: 272 })));
  const off = named(explain(change({ 2: 272 })));
  t.same(
    off.items.map((i) => [i.sku, i.qty]),
    [['dawn', 1]],
  );
  t.equal(off.direction, 'put');
  t.ok(off.confidence < home.confidence, `${off.confidence} < ${home.confidence}`);
});

t.test('a Dawn and a taco taken in one grab are one of each, each with its probability', async (t) => {
  const grab = change({ 3: -272, 4: -60, 5: -45 });
  const answer = named(explain(grab));
  t.same(answer.items.map((i) => [i.sku, i.qty]).sort(), [
    ['dawn', 1],
    ['taco-fire', 1],
  ]);
  for (const item of answer.items) {
    t.ok(item.probability >= answer.confidence, `${item.sku}: ${item.probability} >= ${answer.confidence}`);
    t.ok(item.probability <= 1);
  }
  // Two products at once is rarer than one: the answer is less sure than for one product alone.
  t.ok(answer.confidence < named(explain(change({ 3: -272 }))).confidence);
  t.match(
    reasonOf(explain(grab, { maxSkus: 1, minConfidence: 0 })),
    /matches no item/,
    'with one product per change allowed, no single product explains it',
  );
});

t.test('a plate that moved the other way does not count towards where the change happened', async (t) => {
  // Mixed pick and put within one change is out of scope: the net change is explained.
  const answer = named(explain(change({ 1: -362, 2: 5 })));
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['cola-330', 1]],
  );
  const flat = change({ 1: 0 });
  flat.deltaGrams = -355; // no plate says where: all plates of the change count alike
  t.same(
    named(explain(flat)).items.map((i) => i.sku),
    ['cola-330'],
  );
});

t.test('a malformed change is an anomaly that says what is wrong, never an exception', async (t) => {
  const bad = (edit: (c: ShelfChange) => void) => {
    const c = change({ 1: -355 });
    edit(c);
    return reasonOf(explain(c));
  };
  t.equal(
    bad((c) => {
      c.deltaGrams = Number.NaN;
    }),
    'malformed change: deltaGrams is NaN',
  );
  t.match(
    bad((c) => {
      c.deltaGrams = 0;
    }),
    /deltaGrams is 0/,
  );
  t.match(
    bad((c) => {
      c.sigmaGrams = -1;
    }),
    /sigmaGrams is -1/,
  );
  t.match(
    bad((c) => {
      c.sigmaGrams = Number.POSITIVE_INFINITY;
    }),
    /sigmaGrams is Infinity/,
  );
  t.match(
    bad((c) => {
      c.plates = [];
    }),
    /no plates/,
  );
  t.match(
    bad((c) => {
      c.plates = [14];
    }),
    /plate 14 is not one of the shelf's 14 plates/,
  );
  t.match(
    bad((c) => {
      c.plates = [1.5];
    }),
    /plate 1.5/,
  );
  t.match(
    bad((c) => {
      (c as { plateDeltas?: Float64Array }).plateDeltas = undefined;
    }),
    /plate 1 is not one of the shelf's 0 plates/,
  );
});

t.test('planogram entries for unknown products or plates beyond the shelf are ignored', async (t) => {
  const messy: PlanogramEntry[] = [
    { sku: 'ghost', plates: [1] },
    { sku: 'cola-330', plates: [1, 99, -1, 0.5] },
    { sku: 'broken', plates: [1] },
    { sku: 'nowhere', plates: [99] },
  ];
  const withBroken = new Map(catalogue);
  withBroken.set('broken', { sku: 'broken', grams: 0, spreadGrams: 2 });
  withBroken.set('nowhere', { sku: 'nowhere', grams: 355, spreadGrams: 2 });
  withBroken.set('ghost', { sku: 'ghost', grams: Number.POSITIVE_INFINITY, spreadGrams: 2 });
  const answer = named(explainChange(change({ 1: -355 }), messy, withBroken));
  t.same(
    answer.items.map((i) => i.sku),
    ['cola-330'],
  );
  withBroken.set('broken', { sku: 'broken', grams: 355, spreadGrams: Number.NaN });
  t.same(
    named(explainChange(change({ 1: -355 }), messy, withBroken)).items.map((i) => i.sku),
    ['cola-330'],
    'a product with no usable spread is no candidate',
  );
});

t.test('a product listed on two places of the shelf is one candidate, at home on both', async (t) => {
  const twice: PlanogramEntry[] = [
    { sku: 'cola-330', plates: [1] },
    { sku: 'cola-330', plates: [10] },
  ];
  const answer = named(explainChange(change({ 10: -355 }), twice, catalogue));
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['cola-330', 1]],
  );
  t.ok(answer.confidence > 0.95);
});

t.test('a scale that reads exactly and products with no spread still give an answer', async (t) => {
  const exact = new Map([['weight', { sku: 'weight', grams: 500, spreadGrams: 0 }]]);
  const answer = named(
    explainChange(change({ 1: -500 }, 0), [{ sku: 'weight', plates: [1] }], exact, {
      calibrationFraction: 0,
    }),
  );
  t.same(
    answer.items.map((i) => [i.sku, i.qty]),
    [['weight', 1]],
  );
});

t.test('options out of range are refused by name', async (t) => {
  t.throws(
    () => explain(change({ 1: -355 }), { maxUnits: 0 }),
    /item option maxUnits must be an integer from 1 to 20, got 0/,
  );
  t.throws(() => explain(change({ 1: -355 }), { unitOdds: 0 }), /unitOdds must be a number above 0 up to 1/);
  t.throws(
    () => explain(change({ 1: -355 }), { minConfidence: 2 }),
    /minConfidence must be a number from 0 to 1/,
  );
  t.throws(() => explain(change({ 1: -355 }), { windowSigmas: Number.NaN }), /windowSigmas/);
});
