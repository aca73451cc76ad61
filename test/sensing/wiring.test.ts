import t from 'tap';
import { ShelfWiring } from '../../src/sensing/wiring.js';

const batch = (boardId: string, t0: number, channels: number, rows: number[][], rateHz = 10) => ({
  boardId,
  t0,
  rateHz,
  channels,
  values: Float32Array.from(rows.flat()),
});

t.test('a shelf wired to channels 0..n of one board takes its samples as they come', async (t) => {
  const wiring = new ShelfWiring([
    { board: 'lc-1', channel: 0 },
    { board: 'lc-1', channel: 1 },
  ]);
  const b = batch('lc-1', 1000, 2, [
    [1, 2],
    [3, 4],
  ]);
  const out = wiring.push(b);
  t.equal(out?.values, b.values, 'no copy');
  t.same([out?.t0, out?.channels], [1000, 2]);
});

t.test('plates wired to a subset of channels, in another order, get those channels', async (t) => {
  const wiring = new ShelfWiring([
    { board: 'lc-1', channel: 3 },
    { board: 'lc-1', channel: 1 },
    { board: 'lc-1', channel: 7 },
  ]);
  const out = wiring.push(
    batch('lc-1', 0, 4, [
      [10, 11, 12, 13],
      [20, 21, 22, 23],
    ]),
  );
  t.same(
    [...(out?.values ?? [])],
    [13, 11, Number.NaN, 23, 21, Number.NaN],
    'a channel the board lacks reads NaN',
  );
});

t.test('a shelf across two boards follows the first and holds the second’s latest reading', async (t) => {
  const wiring = new ShelfWiring([
    { board: 'lc-1', channel: 0 },
    { board: 'lc-2', channel: 0 },
  ]);
  t.equal(wiring.lead, 'lc-1');
  t.same(wiring.boards, ['lc-1', 'lc-2']);
  t.equal(
    wiring.push(batch('lc-2', 1000, 1, [[5], [6]])),
    undefined,
    'the second board alone makes no samples',
  );
  const out = wiring.push(batch('lc-1', 1100, 1, [[1], [2], [3], [4], [5], [6], [7]], 10));
  // lc-2's last reading (6) was taken at 1100; it is fresh until 1600.
  t.same(
    [...(out?.values ?? [])],
    [1, 6, 2, 6, 3, 6, 4, 6, 5, 6, 6, 6, 7, Number.NaN],
    'a stale reading is missing, not a flat line',
  );
});

t.test('a shelf with no plates is refused', async (t) => {
  t.throws(() => new ShelfWiring([]), /at least one plate/);
});
