import t from 'tap';
import { defaultSpread, productFrom, spreadDefaults } from '../../src/sensing/items.js';

t.test('a product weighed once gets its weight and the default spread, max(2 g, 3 %)', async (t) => {
  t.same(productFrom('fiji', 'FIJI WATER .5 LTR', [538]), {
    sku: 'fiji',
    name: 'FIJI WATER .5 LTR',
    grams: 538,
    spreadGrams: 538 * 0.03,
  });
  t.equal(productFrom('sponge', undefined, [14.3]).spreadGrams, 2, 'light products get at least 2 g');
  t.notOk('name' in productFrom('sponge', undefined, [14.3]), 'no name when none is given');
  t.equal(defaultSpread(1000), 30);
  t.equal(defaultSpread(10), 2);
  t.equal(defaultSpread(100, { ...spreadDefaults, fraction: 0.1 }), 10);
});

t.test(
  'a product weighed several times gets their mean, and a spread between theirs and the default',
  async (t) => {
    // AIM3S's Windex: 412.6 and 405.3 g.
    const windex = productFrom('windex', 'Windex Original', [412.6, 405.3]);
    t.ok(Math.abs(windex.grams - 408.95) < 1e-9, `mean ${windex.grams}`);
    const measured = Math.sqrt((412.6 - 408.95) ** 2 + (405.3 - 408.95) ** 2); // n - 1 = 1
    const fallback = defaultSpread(408.95);
    t.ok(
      windex.spreadGrams > Math.min(measured, fallback) && windex.spreadGrams < Math.max(measured, fallback),
    );
    // Caramello bars weigh within 0.1 g of each other; many weighings pull the spread towards theirs.
    const few = productFrom('caramello', undefined, [76.8, 76.9]).spreadGrams;
    const many = productFrom(
      'caramello',
      undefined,
      [76.8, 76.9, 76.8, 76.9, 76.8, 76.9, 76.8, 76.9],
    ).spreadGrams;
    t.ok(many < few, `${many} < ${few}`);
    t.ok(many < defaultSpread(76.85));
  },
);

t.test('a weighing far from the others is left out', async (t) => {
  // AIM3S's Creamy Snickers: one unit weighed 63.5 g among 84 g ones.
  const bars = productFrom('snickers', undefined, [84.1, 83.6, 84.4, 63.5, 83.5, 84.4, 84.1]);
  t.ok(Math.abs(bars.grams - 84.02) < 0.01, `mean without the odd one: ${bars.grams}`);
  t.ok(bars.spreadGrams < 3, `spread without the odd one: ${bars.spreadGrams}`);
  // Units that truly vary are all kept.
  const cups = productFrom('reeses', undefined, [90.8, 91.4, 97.0, 95.5, 89.8, 89.4, 92.6, 85.1, 90.7]);
  t.ok(Math.abs(cups.grams - 91.37) < 0.01, `all kept: ${cups.grams}`);
  t.equal(
    productFrom('twin', undefined, [100, 100, 100, 130]).grams,
    100,
    'identical weighings keep a limit',
  );
});

t.test('weights that are not positive numbers are ignored; none at all is refused', async (t) => {
  t.equal(productFrom('cola', undefined, [Number.NaN, -5, 0, 355]).grams, 355);
  t.throws(() => productFrom('cola', undefined, []), /product cola: no positive unit weight/);
  t.throws(() => productFrom('cola', undefined, [0, Number.NaN]), RangeError);
});
