// What the scanners read, as the diagnostics page sees it: each scanner's last scan, and the test mode
// that shows one scanner's codes for a few minutes while keeping them from its gate.
import t from 'tap';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { ScanWatch, type SeenScan } from '../../src/machines/scan-watch.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';

function watch() {
  const clock = new FakeClock();
  const scans = new ScanWatch(clock, ['scan-in', 'scan-out']);
  const seen: SeenScan[] = [];
  scans.listen((scan) => seen.push(scan));
  const scan = (code: string, problem?: Scan['problem']): Scan => ({
    credential: new Secret(code),
    at: clock.now(),
    ...(problem ? { problem } : {}),
  });
  const view = (id: string) => scans.report().find((v) => v.scannerId === id);
  return { clock, scans, seen, scan, view };
}

t.test('a scan goes on to its gate and is noted, but what it read is never shown', async (t) => {
  const w = watch();
  t.same(w.scans.report(), [
    { scannerId: 'scan-in', scans: 0 },
    { scannerId: 'scan-out', scans: 0 },
  ]);
  const at = w.clock.now();
  t.equal(w.scans.take('scan-in', w.scan('eyJ.token.sig')), true, 'the gate gets it');
  w.clock.advance(5000);
  t.equal(w.scans.take('scan-in', w.scan('short')), true);
  t.same(w.view('scan-in'), { scannerId: 'scan-in', scans: 2, lastScanAt: at + 5000, lastLength: 5 });
  t.same(w.view('scan-out'), { scannerId: 'scan-out', scans: 0 }, 'the other scanner untouched');
  t.same(w.seen, [
    { scannerId: 'scan-in', at, length: 13 },
    { scannerId: 'scan-in', at: at + 5000, length: 5 },
  ]);
  t.notOk(
    w.seen.some((s) => 'code' in s),
    'no code outside test mode',
  );
});

t.test('under test a scanner shows its codes and keeps them from its gate, for two minutes', async (t) => {
  const w = watch();
  const started = w.clock.now();
  const view = w.scans.test('scan-in', 2);
  t.equal(view.testingUntil, started + 2 * 60_000, 'it says when the test ends');
  t.equal(w.view('scan-in')?.testingUntil, started + 2 * 60_000);
  t.equal(w.scans.take('scan-in', w.scan('TEST-123')), false, 'the gate does not get it');
  t.same(w.seen.at(-1), { scannerId: 'scan-in', at: started, length: 8, code: 'TEST-123' });
  t.equal(w.scans.take('scan-out', w.scan('other')), true, 'only the scanner under test');
  t.notOk('code' in (w.seen.at(-1) as SeenScan), "the other scanner's code stays hidden");

  w.clock.advance(2 * 60_000 - 1);
  t.equal(w.scans.take('scan-in', w.scan('STILL')), false, 'still under test just before the end');
  t.equal(w.seen.at(-1)?.code, 'STILL');

  w.clock.advance(1);
  t.notOk('testingUntil' in (w.view('scan-in') ?? {}), 'the report no longer says it is under test');
  t.equal(w.scans.take('scan-in', w.scan('REAL-TOKEN')), true, 'back at its gate');
  t.notOk('code' in (w.seen.at(-1) as SeenScan), 'and its codes hidden again');
  t.equal(w.view('scan-in')?.scans, 3, 'scans under test are counted too');
});

t.test('a test of 0 minutes ends the test at once', async (t) => {
  const w = watch();
  w.scans.test('scan-in', 15);
  const view = w.scans.test('scan-in', 0);
  t.notOk('testingUntil' in view);
  t.notOk('testingUntil' in (w.view('scan-in') ?? {}));
  t.equal(w.scans.take('scan-in', w.scan('x')), true);
  t.notOk('code' in (w.seen.at(-1) as SeenScan));
});

t.test('a test of a scanner the hub does not have is refused', async (t) => {
  const w = watch();
  t.throws(() => w.scans.test('scan-nowhere', 2), new RangeError('no scanner "scan-nowhere" on this hub'));
  t.same(
    w.scans.report().map((v) => v.scannerId),
    ['scan-in', 'scan-out'],
    'no scanner made up for it',
  );
});

t.test('an unreadable scan is noted with its problem, and the next good scan clears it', async (t) => {
  const w = watch();
  t.equal(w.scans.take('scan-in', w.scan('x'.repeat(40), 'too_long')), true, 'the gate refuses it itself');
  t.equal(w.view('scan-in')?.lastProblem, 'too_long');
  t.equal(w.view('scan-in')?.lastLength, 40);
  t.same(w.seen.at(-1), { scannerId: 'scan-in', at: w.clock.now(), length: 40, problem: 'too_long' });
  w.clock.advance(1000);
  w.scans.take('scan-in', w.scan('good'));
  t.notOk('lastProblem' in (w.view('scan-in') ?? {}), 'cleared');
  t.notOk('problem' in (w.seen.at(-1) as SeenScan));
});

t.test('an unsubscribed listener hears nothing more', async (t) => {
  const w = watch();
  const heard: SeenScan[] = [];
  const stop = w.scans.listen((s) => heard.push(s));
  w.scans.take('scan-in', w.scan('one'));
  stop();
  w.scans.take('scan-in', w.scan('two'));
  t.equal(heard.length, 1);
  t.equal(w.seen.length, 2, 'the other listener still hears');
});
