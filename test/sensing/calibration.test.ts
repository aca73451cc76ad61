import t from 'tap';
import { calibrationProblem, checkCalibration, span, tare, toGrams } from '../../src/sensing/calibration.js';

t.test('a tare makes the present load read 0 g and keeps the scale', async (t) => {
  const c = tare({ slope: 0.02, offset: 1000 }, 51_000);
  t.same(c, { slope: 0.02, offset: 51_000 });
  t.equal(toGrams(51_000, c), 0);
  t.equal(toGrams(76_000, c), 500);
  t.throws(() => tare(c, Number.NaN), /cannot tare on reading NaN/);
});

t.test('a span learns the slope from a known weight and keeps what the plate read before it', async (t) => {
  const old = { slope: 0.5, offset: 100 };
  const c = span(old, 1000, 3000, 500);
  t.equal(c.slope, 0.25);
  t.equal(toGrams(1000, c), toGrams(1000, old), 'the empty plate reads what it read');
  t.equal(toGrams(3000, c) - toGrams(1000, c), 500, 'and the weight adds exactly its grams');
  t.equal(span(old, 1000, -1000, 500).slope, -0.25, 'a board that counts down works too');
});

t.test('a span or calibration that cannot be right is refused with the reason', async (t) => {
  const old = { slope: 1, offset: 0 };
  t.throws(() => span(old, 10, 10, 500), /did not move when 500 g was placed/);
  t.throws(() => span(old, 10, Number.NaN, 500), /did not move/);
  t.throws(() => span(old, 0, 100, 0), /known weight must be a positive number of grams, not 0/);
  t.throws(() => span(old, 0, 1e-4, 500), /slope 5000000 is outside/);
  t.match(
    calibrationProblem({ slope: Number.POSITIVE_INFINITY, offset: 0 }),
    /not a finite, non-zero number/,
  );
  t.match(calibrationProblem({ slope: 1e-9, offset: 0 }), /outside 0.000001..1000 grams per reading unit/);
  t.match(calibrationProblem({ slope: 1, offset: Number.NaN }), /offset NaN is not a finite number/);
  t.equal(calibrationProblem({ slope: -0.001, offset: 5 }), undefined);
  t.throws(() => checkCalibration({ slope: 0, offset: 0 }), RangeError);
});
