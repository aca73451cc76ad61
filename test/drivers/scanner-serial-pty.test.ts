// A USB-CDC QR scanner over a real pseudo-terminal pair: the test plays the scanner on one end, the
// hub's SerialScanner reads the other through the real serial adapter, with the shipped generic
// profile. Waits are on conditions with generous timeouts, never on how long the OS took.
import t from 'tap';
import { devicesDir } from '../../src/drivers/profile-file.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { SerialScanner } from '../../src/drivers/scanner/serial.js';
import { loadScannerProfile } from '../../src/drivers/scanner/serial-profile.js';
import { openSerialPort } from '../../src/drivers/serial/serialport.js';
import { systemClock } from '../../src/system/clock.js';
import { startPtyPair, waitFor } from '../helpers/pty.js';

const profile = loadScannerProfile(`${devicesDir}/qr-usb-cdc.yaml`);
const TOKEN =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImNsb3VkLTIwMjYtMTEifQ.eyJhdWQiOiJzdG9yZS1iZXJsaW4tbWl0dGUiLCJleHAiOjE3OTU1OTM2MDB9.bm90LWEtcmVhbC1zaWduYXR1cmUtanVzdC10aGUtc2hhcGU';

t.test('a scanner on a real serial line: scans whole, unplug lost, re-plug works', async (t) => {
  const pty = await startPtyPair(t);
  const device = () => openSerialPort({ path: pty.devicePath, ...profile.serial });
  let scannerEnd = device();
  const scanner = new SerialScanner({ id: 'scanner-pty', path: pty.hubPath, profile, clock: systemClock });
  t.teardown(async () => {
    await scanner.close();
    await scannerEnd.close();
  });
  const scans: Scan[] = [];
  const lost: string[] = [];
  scanner.onData((scan) => scans.push(scan));
  scanner.onLost((reason) => lost.push(reason));
  await scannerEnd.open();
  await scanner.open();
  const send = (text: string) => scannerEnd.write(Buffer.from(text, 'latin1'));

  // A token-shaped code with the scanner's CR arrives as one usable scan.
  const before = Date.now();
  await send(`${TOKEN}\r`);
  await waitFor(() => scans.length === 1, 'the first scan');
  t.equal(scans[0]?.credential.reveal(), TOKEN, 'the credential is the code, byte for byte');
  t.equal(scans[0]?.problem, undefined);
  t.ok((scans[0]?.at ?? 0) >= before && (scans[0]?.at ?? 0) <= Date.now(), 'stamped on arrival');

  // A code whose end arrives in a later write is still one scan.
  await send(TOKEN.slice(0, 50));
  await waitFor(() => scanner.stats.pendingBytes === 50, 'the first half at the hub');
  t.equal(scans.length, 1, 'nothing delivered before the terminator');
  await send(`${TOKEN.slice(50)}\r`);
  await waitFor(() => scans.length === 2, 'the split scan');
  t.equal(scans[1]?.credential.reveal(), TOKEN);

  // Two codes in one write are two scans.
  await send(`A-1\rB-2\r`);
  await waitFor(() => scans.length === 4, 'two more scans');
  t.same(
    scans.slice(2).map((s) => s.credential.reveal()),
    ['A-1', 'B-2'],
  );

  // The scanner's cable is pulled.
  await pty.stop();
  await waitFor(() => lost.length === 1, 'the scanner to be lost');
  t.match(lost[0], new RegExp(`serial port ${pty.hubPath} (disappeared|failed)`));
  await t.rejects(scanner.open(), { message: /no serial port at .*USB keyboard or HID POS mode/ });

  // And plugged back in.
  await scannerEnd.close();
  await pty.restart();
  await scanner.open();
  scannerEnd = device();
  await scannerEnd.open();
  await send(`${TOKEN}\r`);
  await waitFor(() => scans.length === 5, 'a scan after the re-plug');
  t.equal(scans[4]?.credential.reveal(), TOKEN);
  t.equal(lost.length, 1, 'lost exactly once');
  t.match(scanner.stats, { codes: 5, tooLong: 0, binary: 0, empty: 0, droppedPartials: 0 });
});
