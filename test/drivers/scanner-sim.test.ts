import t from 'tap';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { SimScanner } from '../../src/drivers/scanner/sim.js';
import { FakeClock } from '../../src/system/clock.js';
import { Secret } from '../../src/system/secret.js';

t.test('a presented credential arrives as a secret stamped with the clock', async (t) => {
  const clock = new FakeClock();
  const scanner = new SimScanner('qr-in', clock);
  const scans: Scan[] = [];
  scanner.onData((scan) => scans.push(scan));
  t.notOk(scanner.present('nobody hears this'), 'a closed scanner reads nothing');
  await scanner.open();
  t.ok(scanner.isOpen);
  clock.advance(1234);
  t.ok(scanner.present('trip-token-1'));
  t.equal(scans.length, 1);
  const scan = scans[0] as Scan;
  t.type(scan.credential, Secret);
  t.equal(scan.credential.reveal(), 'trip-token-1');
  t.equal(JSON.stringify(scan), `{"credential":"[secret]","at":${clock.now()}}`, 'never printable');
});

t.test('an unplugged scanner is lost while open and refuses to open until plugged in', async (t) => {
  const scanner = new SimScanner('palm-in', new FakeClock());
  const lost: string[] = [];
  scanner.onLost((reason) => lost.push(reason));
  scanner.unplug('cable unplugged');
  t.same(lost, [], 'a closed scanner has nobody to tell');
  await t.rejects(scanner.open(), { message: 'cable unplugged' });
  t.notOk(scanner.isPluggedIn);
  scanner.plugIn();
  await scanner.open();
  await scanner.open();
  scanner.unplug('cable unplugged');
  t.same(lost, ['cable unplugged']);
  t.notOk(scanner.isOpen);
  t.notOk(scanner.present('x'), 'a lost scanner reads nothing');
});

t.test('after close and unsubscribe no listener is called', async (t) => {
  const scanner = new SimScanner('qr-in', new FakeClock());
  let scans = 0;
  let losses = 0;
  const stopData = scanner.onData(() => scans++);
  const stopLost = scanner.onLost(() => losses++);
  await scanner.open();
  scanner.present('a');
  await scanner.close();
  await scanner.close();
  scanner.present('b');
  scanner.unplug('gone');
  t.equal(scans, 1);
  t.equal(losses, 0);
  scanner.plugIn();
  await scanner.open();
  stopData();
  stopLost();
  scanner.present('c');
  scanner.unplug('gone');
  t.equal(scans, 1);
  t.equal(losses, 0);
});
