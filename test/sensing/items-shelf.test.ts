import t from 'tap';
import { benchShelf, explanationsPerSecond, simulatedChanges } from '../../bench/items.js';
import { explainChange } from '../../src/sensing/items.js';

t.test(
  'on a dense shelf of look-alike bars, named items are wrong no more often than their confidence says',
  async (t) => {
    // Simulated picks and puts of 1-3 units, sometimes of two products, read 2 % off (bench/items.ts).
    const shelf = benchShelf();
    let named = 0;
    let wrong = 0;
    let doubt = 0;
    const sims = simulatedChanges(shelf, 1000, 11);
    for (const { change, truth } of sims) {
      const answer = explainChange(change, shelf.planogram, shelf.catalogue);
      if (answer.kind === 'anomaly') continue;
      named++;
      doubt += 1 - answer.confidence;
      const right =
        answer.direction === (change.deltaGrams < 0 ? 'pick' : 'put') &&
        answer.items.length === truth.length &&
        truth.every((x) => answer.items.some((i) => i.sku === x.sku && i.qty === x.qty));
      if (!right) wrong++;
    }
    t.ok(named >= 250, `${named} of 1000 changes named despite the look-alikes`);
    t.ok(
      wrong <= doubt,
      `wrong ${wrong} times in ${named}, where the confidences expect ${doubt.toFixed(1)}`,
    );
    t.ok(wrong / named <= 0.12, 'and not often at all');
  },
);

t.test('a 30-product shelf is explained well under a millisecond a change', async (t) => {
  const rate = explanationsPerSecond(2000, 3);
  t.ok(rate > 2000, `${Math.round(rate)} explanations per second`);
});
