import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CalibrationStore } from '../../src/machines/calibration-store.js';
import { captureLog } from '../helpers/log-capture.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

const plates = [
  { slope: 0.241, offset: -569.45 },
  { slope: 0.239, offset: 90.8 },
];

t.test('a saved calibration comes back after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cal-'));
  const { log } = captureLog();
  new CalibrationStore(dir, log).save('shelf-01', 'lc-1:0,lc-1:1', plates, new Date(0));
  const again = new CalibrationStore(dir, log);
  t.same(again.load('shelf-01', 2, 'lc-1:0,lc-1:1'), plates);
  t.match(JSON.parse(readFileSync(again.pathOf('shelf-01'), 'utf8')), { version: 1, shelfId: 'shelf-01' });
  t.equal(again.load('shelf-02', 2, 'x'), undefined, 'a shelf never calibrated has none');
});

t.test('a rewired shelf, a corrupt file or a bad slope is ignored with a warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cal-'));
  const capture = captureLog();
  const { log } = capture;
  const store = new CalibrationStore(dir, log);
  store.save('shelf-01', 'lc-1:0,lc-1:1', plates, new Date(0));
  t.equal(store.load('shelf-01', 3, 'lc-1:0,lc-1:1'), undefined, 'a plate more');
  t.equal(store.load('shelf-01', 2, 'lc-2:0,lc-2:1'), undefined, 'other channels');
  await tick();
  t.match(capture.lines.at(-1), { msg: /rewired/ });
  writeFileSync(store.pathOf('shelf-01'), '{"version":1');
  t.equal(store.load('shelf-01', 2, 'lc-1:0,lc-1:1'), undefined);
  await tick();
  t.match(capture.lines.at(-1), { msg: /not JSON/ });
  writeFileSync(
    store.pathOf('shelf-01'),
    JSON.stringify({
      version: 1,
      shelfId: 's',
      wiring: 'w',
      plates: [{ slope: 0, offset: 0 }],
      updatedAt: '',
    }),
  );
  t.equal(store.load('shelf-01', 1, 'w'), undefined);
  await tick();
  t.match(capture.lines.at(-1), {
    msg: /bad calibration file/,
    problem: /slope 0 is not a finite, non-zero number/,
  });
});

t.test('an unreadable calibration file is reported and the defaults used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cal-'));
  const capture = captureLog();
  const { log } = capture;
  const store = new CalibrationStore(dir, log);
  // A directory where the file should be: reading it fails with EISDIR.
  store.save('x', 'w', plates, new Date(0));
  const path = store.pathOf('shelf-01');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path);
  t.equal(store.load('shelf-01', 2, 'w'), undefined);
  await tick();
  t.match(capture.lines.at(-1), { msg: /cannot read the shelf calibration/ });
  t.throws(() => store.save('shelf-01', 'w', plates, new Date(0)), 'saving over a directory fails loudly');
});
