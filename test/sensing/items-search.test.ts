import t from 'tap';
import { forEachBag, MIN_VARIANCE, type SearchLimits, type Weighed } from '../../src/sensing/items-search.js';
import { Random } from '../../src/system/random.js';

const limits: SearchLimits = { maxUnits: 6, maxSkus: 3, windowSigmas: 4, calibrationFraction: 0.02 };

/** Every bag the search visits, as "slot×qty+…", sorted. */
function visited(
  products: Weighed[],
  target: number,
  sigma: number,
  l = limits,
  admit?: (u: number, s: number) => boolean,
) {
  const bags: string[] = [];
  forEachBag(
    products,
    target,
    sigma,
    l,
    (slots, qty, size) => {
      const parts: string[] = [];
      for (let i = 0; i < size; i++) parts.push(`${slots[i]}×${qty[i]}`);
      bags.push(parts.join('+'));
    },
    admit,
  );
  return bags.sort();
}

/** The same, by trying every bag there is. */
function everyBag(
  products: Weighed[],
  target: number,
  sigma: number,
  l = limits,
  admit = (_u: number, _s: number) => true,
) {
  const bags: string[] = [];
  const walk = (start: number, parts: [number, number][], units: number) => {
    for (let i = start; i < products.length; i++) {
      for (let q = 1; units + q <= l.maxUnits; q++) {
        const bag: [number, number][] = [...parts, [i, q]];
        const grams = bag.reduce((a, [s, n]) => a + n * (products[s] as Weighed).grams, 0);
        const spread = bag.reduce((a, [s, n]) => a + n * (products[s] as Weighed).spreadGrams ** 2, 0);
        const variance = Math.max(spread + sigma ** 2 + (l.calibrationFraction * grams) ** 2, MIN_VARIANCE);
        const admitted = bag.every((_, k) =>
          admit(
            bag.slice(0, k + 1).reduce((a, [, n]) => a + n, 0),
            k + 1,
          ),
        );
        if (admitted && Math.abs(grams - target) <= l.windowSigmas * Math.sqrt(variance))
          bags.push(bag.map(([s, n]) => `${s}×${n}`).join('+'));
        if (bag.length < l.maxSkus) walk(i + 1, bag, units + q);
      }
    }
  };
  walk(0, [], 0);
  return bags.sort();
}

function shelf(random: Random, count: number): Weighed[] {
  const products = Array.from({ length: count }, () => {
    const grams = random.pick([40, 85, 90, 105, 270, 355, 538, 1030]) * random.between(0.9, 1.1);
    return { grams, spreadGrams: random.between(0, 0.04) * grams };
  });
  return products.sort((a, b) => a.grams - b.grams);
}

t.test('the search finds exactly the bags that trying every bag finds', async (t) => {
  const random = new Random(42);
  for (let round = 0; round < 60; round++) {
    const products = shelf(random, 1 + random.int(9));
    const target = random.between(20, 2500);
    const sigma = random.between(0, 5);
    t.same(visited(products, target, sigma), everyBag(products, target, sigma), `round ${round}`);
  }
});

t.test('with other limits, and a product per bag, the search still agrees', async (t) => {
  const random = new Random(7);
  for (const l of [
    { ...limits, maxSkus: 1 },
    { ...limits, maxUnits: 2, maxSkus: 2 },
    { ...limits, maxUnits: 10, windowSigmas: 8, calibrationFraction: 0.1 },
  ]) {
    for (let round = 0; round < 20; round++) {
      const products = shelf(random, 1 + random.int(8));
      const target = random.between(20, 3000);
      t.same(visited(products, target, 2, l), everyBag(products, target, 2, l), JSON.stringify(l));
    }
  }
});

t.test('bags the caller does not admit are never visited, nor anything that contains them', async (t) => {
  const random = new Random(3);
  const admit = (units: number, size: number) => units <= 3 && size <= 2;
  for (let round = 0; round < 30; round++) {
    const products = shelf(random, 2 + random.int(8));
    const target = random.between(50, 1500);
    const found = visited(products, target, 2, limits, admit);
    t.same(found, everyBag(products, target, 2, limits, admit));
  }
  t.same(
    visited([{ grams: 355, spreadGrams: 4 }], 355, 2, limits, () => false),
    [],
    'nothing admitted, nothing visited',
  );
});

t.test('a shelf with no products, or a change nothing comes near, visits nothing', async (t) => {
  t.same(visited([], 355, 2), []);
  t.same(visited([{ grams: 355, spreadGrams: 4 }], 10_000, 2), []);
  t.same(visited([{ grams: 355, spreadGrams: 4 }], 50, 2), []);
});

t.test('a perfect scale and a product with no spread still find the exact bag', async (t) => {
  const exact = { ...limits, calibrationFraction: 0 };
  const variances: number[] = [];
  forEachBag([{ grams: 500, spreadGrams: 0 }], 1000, 0, exact, (_s, _q, _n, _g, variance) =>
    variances.push(variance),
  );
  t.same(variances, [MIN_VARIANCE], 'two units, with the least variance a scale can have');
});
