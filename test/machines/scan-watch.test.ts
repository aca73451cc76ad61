// What the scanners read, as the diagnostics page sees it: each scanner's last scan, and the test mode
// that shows one scanner's codes for a few minutes while keeping them from its gate.
import t from 'tap';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { ScanWatch, type SeenScan } from '../../src/machines/scan-watch.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';

function watch() {
  const clock = new FakeClock();
  const changes: string[] = [];
  const scans = new ScanWatch(
    clock,
    [
      { id: 'scan-in', kind: 'qr' },
      { id: 'scan-out', kind: 'qr' },
    ],
    (id) => changes.push(id),
  );
  const seen: SeenScan[] = [];
  scans.listen((scan) => seen.push(scan));
  const scan = (code: string, problem?: Scan['problem']): Scan => ({
    credential: new Secret(code),
    at: clock.now(),
    ...(problem ? { problem } : {}),
  });
  const view = (id: string) => scans.report().find((v) => v.scannerId === id);
  return { clock, scans, seen, scan, view, changes };
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

t.test('under test an entry token is shown without its signature, and a palm never', async (t) => {
  const clock = new FakeClock();
  const seen: SeenScan[] = [];
  const scans = new ScanWatch(clock, [
    { id: 'qr', kind: 'qr' },
    { id: 'palm', kind: 'palm' },
  ]);
  scans.listen((scan) => seen.push(scan));
  scans.test('qr', 2);
  scans.test('palm', 2);
  const scan = (code: string): Scan => ({ credential: new Secret(code), at: clock.now() });
  t.equal(scans.take('qr', scan('eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl')), false);
  t.equal(seen.at(-1)?.code, 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.(signature hidden)', 'unusable as shown');
  t.equal(seen.at(-1)?.length, 49, 'its length is the whole token’s');
  scans.take('qr', scan('4006381333931'));
  t.equal(seen.at(-1)?.code, '4006381333931', 'a test barcode as read');
  t.equal(scans.take('palm', scan('palm-handle-7f3a')), false, 'a palm under test is kept from its gate');
  t.notOk('code' in (seen.at(-1) as SeenScan), 'and its handle is never shown');
});

t.test('the devices hear a test begin, end early, and run out', async (t) => {
  const w = watch();
  w.scans.test('scan-in', 1);
  t.same(w.changes, ['scan-in'], 'begun');
  w.scans.test('scan-in', 0);
  t.same(w.changes, ['scan-in', 'scan-in'], 'ended by hand');
  w.scans.test('scan-out', 1);
  w.clock.advance(60_000);
  t.same(w.changes, ['scan-in', 'scan-in', 'scan-out', 'scan-out'], 'ran out');
  t.equal(w.scans.testingUntil('scan-out'), undefined);
  w.scans.test('scan-in', 5);
  w.scans.stop();
  w.clock.advance(10 * 60_000);
  t.equal(w.changes.length, 5, 'a stopped hub sets no timer going');
});
