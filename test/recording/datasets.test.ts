// The public datasets' formats, read from small folders written here in the same shapes (the real
// recordings are never part of the tests): what the readers make of them, what they refuse, and a
// replay of each through the shelf pipeline.
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/main.js';
import { readDataset } from '../../src/recording/datasets.js';

/** 60 Hz samples: `grams` until 4 s, then `grams + delta` after a ringing move; a little noise. */
function series(seconds: number, grams: number, delta: number): number[] {
  let seed = 11;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed / 2_147_483_648 - 0.5) * 1.2;
  };
  return Array.from({ length: seconds * 60 }, (_, i) => {
    const after = (i * 1000) / 60 - 4000;
    const ring =
      after > 0 ? 0.1 * delta * Math.exp(-after / 120) * Math.cos((2 * Math.PI * 5 * after) / 1000) : 0;
    return (after > 0 ? grams + delta + ring : grams) + noise();
  });
}

function aim3sFolder() {
  const shelf1 = series(9, 5200, -395);
  const shelf2 = series(9, 3300, 0);
  const rows = shelf1.map(
    (v, i) => `${(-1000 + (i * 1000) / 60).toFixed(3)},${v},${shelf2[i]},${v},${shelf2[i]}`,
  );
  return {
    'aim3s_fig_shelf_weights_60Hz.csv': `t_ms,shelf1_raw_g,shelf2_raw_g,shelf1_movmean_g,shelf2_movmean_g\n${rows.join('\n')}\n`,
    'product_info.json': JSON.stringify({
      products: [
        {
          id: 1,
          name: 'Foil',
          barcode: '111',
          arrangement: [{ shelf_id: 1, plate_ids: [1, 2] }],
          weights: [395, 398, 392],
        },
        {
          id: 2,
          name: 'Unweighed',
          barcode: '',
          arrangement: [{ shelf_id: 2, plate_ids: [3] }],
          weights: [0.0],
        },
        { id: 3, name: 'Second gondola', arrangement: [{ shelf_id: 3, plate_ids: [1] }], weights: [100] },
        { id: 4, name: 'Not read', arrangement: [{ shelf_id: 1, plate_ids: [1] }], weights: [50] },
      ],
    }),
    'aim3s_fig_events.json': JSON.stringify({
      shelves: {
        shelf1: { ground_truth_events_ms: [[2000, 4500]], detected_events_ms: [[2100, 4400]] },
        shelf2: { ground_truth_events_ms: [], detected_events_ms: [] },
      },
    }),
  };
}

function aifiFolder() {
  const start = Date.UTC(2020, 3, 20, 22, 24, 10) / 1000;
  const plate = (values: number[]) => values.map((g, i) => `${(start + i / 60).toFixed(4)},${g}`).join('\n');
  return {
    plates: {
      'gondola_1_shelf_2_plate_1.csv': plate(series(8, 2400, 0)),
      'gondola_1_shelf_2_plate_2.csv': plate(series(8, 1800, -538)),
      'gondola_1_shelf_2_plate_3.csv': plate(series(8, 900, 0).slice(0, 470)),
      'notes.txt': 'not a plate',
    },
    'cps-test-01-nodepth-product.csv':
      'Name,Gondola,Shelf,Plate,Weight,Price,Image\n' +
      '"FIJI WATER, .5 LTR",1,2,2,538,1.99,a.png\n' +
      '"FIJI WATER, .5 LTR",1,2,3,538,1.99,a.png\n' +
      'Chips,1,2,1,60,0.99,b.png\n' +
      'Gum,-1,-1,-1,0,0.5,c.png\n',
    'ground_truth_cps-test-01.json': JSON.stringify({
      events: [
        {
          putback: 0,
          observation: {
            time: '2020-04-20_22-24-14',
            position: { gondola: 1, shelf: 2, plates: [2] },
            products: [{ name: 'FIJI WATER, .5 LTR' }],
          },
        },
      ],
    }),
  };
}

t.test(
  'an AIM3S folder: one plate per shelf, its first gondola’s products, labels and published detections',
  async (t) => {
    const data = readDataset(t.testdir(aim3sFolder()));
    t.equal(data.name, 'AIM3S');
    t.same(
      data.shelves.map((s) => [s.id, s.plates, s.rateHz, s.times.length]),
      [
        ['shelf1', 1, 60, 540],
        ['shelf2', 1, 60, 540],
      ],
      'the raw columns, not the moving means',
    );
    t.same(
      data.catalogue.map((p) => p.sku),
      ['111'],
      'the unweighed product and the second gondola left out',
    );
    t.ok(
      Math.abs((data.catalogue[0]?.grams ?? 0) - 395) < 0.01,
      'a product weighs the mean of its measured weights',
    );
    t.same(data.shelves[0]?.planogram, [{ sku: '111', plates: [0] }]);
    t.same(data.labels, [{ shelfId: 'shelf1', startMs: 2000, endMs: 4500 }]);
    t.same(data.published, [{ shelfId: 'shelf1', startMs: 2100, endMs: 4400 }]);
  },
);

t.test(
  'an AiFi folder: shelves from plate files, 0-based plates, names as SKUs, labels by the second',
  async (t) => {
    const data = readDataset(t.testdir(aifiFolder()));
    const [shelf] = data.shelves;
    t.equal(data.shelves.length, 1);
    t.same(
      [shelf?.id, shelf?.plates, shelf?.times.length],
      ['g1-s2', 3, 470],
      'trimmed to the shortest plate',
    );
    t.same(shelf?.planogram, [
      { sku: 'FIJI WATER, .5 LTR', plates: [1, 2] },
      { sku: 'Chips', plates: [0] },
    ]);
    t.same(
      data.catalogue.map((p) => [p.sku, p.grams, p.spreadGrams]),
      [
        ['FIJI WATER, .5 LTR', 538, 538 * 0.03],
        ['Chips', 60, 2],
      ],
      'the product without a weight is left out; spreads are the default',
    );
    t.same(data.labels, [
      {
        shelfId: 'g1-s2',
        startMs: Date.UTC(2020, 3, 20, 22, 24, 14),
        endMs: Date.UTC(2020, 3, 20, 22, 24, 15),
        plates: [1],
        kind: 'pick',
        items: [{ sku: 'FIJI WATER, .5 LTR', qty: 1 }],
      },
    ]);
  },
);

t.test('replay runs either folder through the shelf pipeline and names the item', async (t) => {
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
  t.equal(await main(['replay', t.testdir(aim3sFolder())], {}, io), 0);
  t.match(out.join('\n'), /shelf1 {2}shelf\.pick +-39\d\.\d g {2}plates 0 .*1 × Foil/);
  out.length = 0;
  t.equal(await main(['replay', t.testdir(aifiFolder())], {}, io), 0);
  t.match(out.join('\n'), /g1-s2 {2}shelf\.pick +-53\d\.\d g {2}plates 1 .*1 × FIJI WATER, \.5 LTR/);
  t.match(out.at(-1), /^1 event from 1 shelf recording\(s\)$/, 'and nothing on the plates that did not move');
});

t.test('what the readers refuse, naming the file and line', async (t) => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an empty folder', {}, /not a recording file, nor an AIM3S or AiFi dataset folder/],
    [
      'a wrong AIM3S header',
      { ...aim3sFolder(), 'aim3s_fig_shelf_weights_60Hz.csv': 'time,a\n1,2\n' },
      /aim3s_fig_shelf_weights_60Hz\.csv:1: expected a header "t_ms,shelfN_raw_g,…"/,
    ],
    [
      'a short AIM3S row',
      { ...aim3sFolder(), 'aim3s_fig_shelf_weights_60Hz.csv': 't_ms,shelf1_raw_g\n0,1\n\n17\n' },
      /:4: expected 2 values, found 1/,
    ],
    [
      'a value that is not a number',
      { ...aim3sFolder(), 'aim3s_fig_shelf_weights_60Hz.csv': 't_ms,shelf1_raw_g\n0,heavy\n' },
      /:2: value 2 "heavy" is not a number/,
    ],
    [
      'an unclosed quote',
      { ...aim3sFolder(), 'aim3s_fig_shelf_weights_60Hz.csv': 't_ms,shelf1_raw_g\n0,"1\n' },
      /:2: a quoted field is never closed/,
    ],
    [
      'no product list',
      { ...aim3sFolder(), 'product_info.json': '{}' },
      /product_info\.json: no "products" list/,
    ],
    ['broken JSON', { ...aim3sFolder(), 'product_info.json': '{' }, /product_info\.json: not valid JSON/],
    [
      'a product without weights',
      { ...aim3sFolder(), 'product_info.json': JSON.stringify({ products: [{ arrangement: [] }] }) },
      /product 1: needs an "arrangement" list and numeric "weights"/,
    ],
    [
      'a product on shelf 0',
      {
        ...aim3sFolder(),
        'product_info.json': JSON.stringify({ products: [{ arrangement: [{ shelf_id: 0 }], weights: [1] }] }),
      },
      /product 1: every arrangement needs a shelf_id from 1/,
    ],
    ['no shelves in the events', { ...aim3sFolder(), 'aim3s_fig_events.json': '[]' }, /no "shelves" object/],
    [
      'an interval that is not a pair',
      {
        ...aim3sFolder(),
        'aim3s_fig_events.json': JSON.stringify({ shelves: { shelf1: { ground_truth_events_ms: [[1]] } } }),
      },
      /shelf1: expected a list of \[start_ms, end_ms\] pairs/,
    ],
    [
      'no plate files',
      { ...aifiFolder(), plates: { 'x.csv': '' } },
      /no gondola_G_shelf_S_plate_P\.csv files/,
    ],
    [
      'a plate numbered 0',
      { ...aifiFolder(), plates: { 'gondola_1_shelf_1_plate_0.csv': '1,2\n' } },
      /plates are numbered from 1 to 64/,
    ],
    [
      'a plate numbered 100000',
      { ...aifiFolder(), plates: { 'gondola_1_shelf_1_plate_100000.csv': '1,2\n' } },
      /plate_100000\.csv: plates are numbered from 1 to 64/,
    ],
    [
      'a product that is null',
      { ...aim3sFolder(), 'product_info.json': JSON.stringify({ products: [null] }) },
      /product 1: needs an "arrangement" list and numeric "weights"/,
    ],
    [
      'a shelf that is null in the events',
      { ...aim3sFolder(), 'aim3s_fig_events.json': JSON.stringify({ shelves: { shelf1: null } }) },
      /shelf1: expected a list of \[start_ms, end_ms\] pairs/,
    ],
    [
      'an event that is null',
      { ...aifiFolder(), 'ground_truth_cps-test-01.json': JSON.stringify({ events: [null] }) },
      /event 1: needs observation\.time/,
    ],
    [
      'a plate row with three values',
      { ...aifiFolder(), plates: { 'gondola_1_shelf_1_plate_1.csv': '1,2,3\n' } },
      /plate_1\.csv:1: expected "unix_time_seconds,grams"/,
    ],
    [
      'a catalogue with another header',
      { ...aifiFolder(), 'cps-test-01-nodepth-product.csv': 'Name,Weight\n' },
      /product\.csv:1: expected a header starting "Name,Gondola,Shelf,Plate,Weight"/,
    ],
    [
      'a short catalogue row',
      { ...aifiFolder(), 'cps-test-01-nodepth-product.csv': 'Name,Gondola,Shelf,Plate,Weight\nA,1\n' },
      /:2: expected at least 5 values, found 2/,
    ],
    [
      'a catalogue plate of 1.5',
      {
        ...aifiFolder(),
        'cps-test-01-nodepth-product.csv': 'Name,Gondola,Shelf,Plate,Weight\nA,1,1,1.5,10\n',
      },
      /:2: gondola, shelf and plate must be -1 or whole numbers from 1/,
    ],
    ['no events', { ...aifiFolder(), 'ground_truth_cps-test-01.json': '{}' }, /no "events" list/],
    [
      'an event without a time',
      { ...aifiFolder(), 'ground_truth_cps-test-01.json': JSON.stringify({ events: [{ observation: {} }] }) },
      /event 1: needs observation\.time "YYYY-MM-DD_HH-MM-SS"/,
    ],
    [
      'an event on plate 0',
      {
        ...aifiFolder(),
        'ground_truth_cps-test-01.json': JSON.stringify({
          events: [
            { observation: { time: '2020-04-20_22-24-14', position: { gondola: 1, shelf: 1, plates: [0] } } },
          ],
        }),
      },
      /event 1: plates are numbered from 1/,
    ],
  ];
  for (const [what, files, problem] of cases)
    t.throws(() => readDataset(t.testdir(files as never)), problem, what);
  t.throws(() => readDataset(join(t.testdir({ plates: {} }), 'missing')), /not a recording file/);
});
