import t from 'tap';
import { deriveSeed, Random } from '../../src/system/random.js';

t.test('the same seed gives the same numbers, another seed others', (t) => {
  const draw = (seed: number) => Array.from({ length: 5 }, () => new Random(seed)).map((r) => r.uint32());
  t.same(draw(7), draw(7));
  const a = new Random(7);
  const b = new Random(8);
  t.not(a.next(), b.next());
  t.end();
});

t.test('draws stay within their ranges and have the right shape', (t) => {
  const random = new Random(42);
  const n = 20_000;
  let sum = 0;
  let sumSq = 0;
  let expSum = 0;
  let outOfRange = 0;
  for (let i = 0; i < n; i++) {
    const u = random.next();
    const k = random.int(6);
    if (u < 0 || u >= 1 || !Number.isInteger(k) || k < 0 || k >= 6) outOfRange++;
    const g = random.gaussian();
    sum += g;
    sumSq += g * g;
    expSum += random.exponential(3);
  }
  t.equal(outOfRange, 0, 'uniform draws in [0, 1), integers in [0, 6)');
  t.ok(Math.abs(sum / n) < 0.05, 'gaussian mean near 0');
  t.ok(Math.abs(sumSq / n - 1) < 0.05, 'gaussian variance near 1');
  t.ok(Math.abs(expSum / n - 3) < 0.15, 'exponential mean near 3');
  const x = random.between(10, 20);
  t.ok(x >= 10 && x < 20);
  t.equal(random.pick(['only']), 'only');
  t.throws(() => random.pick([]), RangeError);
  t.end();
});

t.test('a fork depends on the seed and its label only', (t) => {
  const a = new Random(7);
  const b = new Random(7);
  b.next();
  b.next();
  t.equal(
    a.fork('faults').uint32(),
    b.fork('faults').uint32(),
    'drawing from the parent does not change a fork',
  );
  t.not(a.fork('faults').uint32(), a.fork('shelf:a1').uint32());
  t.not(deriveSeed(1, 'x'), deriveSeed(2, 'x'));
  t.end();
});
