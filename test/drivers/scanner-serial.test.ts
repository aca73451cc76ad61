// A QR scanner in USB-CDC mode, on an in-memory port with fake time: codes cut at the terminator
// whatever the USB packets, unusable reads reported once with their problem, nothing a scanner sends
// growing the hub's memory, and never a code in a log.
import { join } from 'node:path';
import t from 'tap';
import { devicesDir, profilePath } from '../../src/drivers/profile-file.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { SerialScanner, type SerialScannerOptions } from '../../src/drivers/scanner/serial.js';
import {
  loadScannerProfile,
  type ScannerProfile,
  scannerProfileSchema,
} from '../../src/drivers/scanner/serial-profile.js';
import type { SerialSettings } from '../../src/drivers/serial/transport.js';
import { FakeClock } from '../../src/system/clock.js';
import { FakeSerial } from '../helpers/fake-serial.js';
import { captureLog } from '../helpers/log-capture.js';

// Shaped like an entry token (a compact JWS), and the secret the logs must never show.
const TOKEN =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImNsb3VkLTIwMjYtMTEifQ.eyJhdWQiOiJzdG9yZS1iZXJsaW4tbWl0dGUiLCJwYXJ0eSI6Mn0.c2lnbmF0dXJlLW9mLXRoZS1jbG91ZA';

const profile = (overrides: Partial<ScannerProfile> = {}): ScannerProfile =>
  scannerProfileSchema.parse({
    kind: 'serial-scanner',
    model: 'test scanner',
    description: 'a scripted scanner',
    serial: { baudRate: 9600 },
    terminator: 'cr',
    ...overrides,
  });

/** A scanner on a fake port, opened, with what it delivered and lost. */
async function rig(overrides: Partial<ScannerProfile> = {}, options: Partial<SerialScannerOptions> = {}) {
  const clock = new FakeClock();
  const port = new FakeSerial();
  const opened: SerialSettings[] = [];
  const logged = captureLog();
  const scanner = new SerialScanner({
    id: 'scanner-entry-1',
    path: '/dev/serial/by-id/usb-test-if00',
    profile: profile(overrides),
    clock,
    openSerial: (settings) => {
      opened.push(settings);
      return port;
    },
    log: logged.log,
    ...options,
  });
  const scans: Scan[] = [];
  const lost: string[] = [];
  scanner.onData((scan) => scans.push(scan));
  scanner.onLost((reason) => lost.push(reason));
  await scanner.open();
  /** The scans as [content, problem] pairs, the way the assertions read. */
  const read = () => scans.map((s) => [s.credential.reveal(), s.problem ?? 'ok']);
  return { clock, port, opened, logged, scanner, scans, lost, read };
}

t.test('the shipped generic USB-CDC profile loads: 9600 8N1, CR, 2048 bytes, 500 ms', async (t) => {
  const path = profilePath('qr-usb-cdc', '/etc/store-gateway');
  t.equal(path, join(devicesDir, 'qr-usb-cdc.yaml'));
  t.match(loadScannerProfile(path), {
    kind: 'serial-scanner',
    serial: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
    terminator: 'cr',
    maxCodeBytes: 2048,
    interByteTimeoutMs: 500,
  });
});

t.test('a profile with a wrong key is refused, naming the file and the key', async (t) => {
  const dir = t.testdir({
    'tab.yaml':
      'kind: serial-scanner\nmodel: m\ndescription: d\nserial: { baudRate: 9600 }\nterminator: tab\n',
    'huge.yaml':
      'kind: serial-scanner\nmodel: m\ndescription: d\nserial: { baudRate: 9600 }\nterminator: cr\nmaxCodeBytes: 1000000\n',
    'typo.yaml':
      'kind: serial-scanner\nmodel: m\ndescription: d\nserial: { baudRate: 9600 }\nterminator: cr\nmaxCodeByte: 100\n',
  });
  t.throws(() => loadScannerProfile(join(dir, 'tab.yaml')), /tab\.yaml: terminator: /);
  t.throws(() => loadScannerProfile(join(dir, 'huge.yaml')), /huge\.yaml: maxCodeBytes: .*8192/);
  t.throws(() => loadScannerProfile(join(dir, 'typo.yaml')), /typo\.yaml: .*maxCodeByte/);
  t.throws(() => loadScannerProfile(join(dir, 'missing.yaml')), /cannot read .*missing\.yaml/);
  t.equal(profile().maxCodeBytes, 2048, 'maxCodeBytes defaults to 2048');
  t.equal(profile().interByteTimeoutMs, undefined, 'no stale timeout unless the profile sets one');
});

t.test('a token ending in CR arrives as one usable scan, stamped when the CR arrived', async (t) => {
  const { clock, port, read, scans, scanner, opened } = await rig();
  t.same(opened, [
    { path: '/dev/serial/by-id/usb-test-if00', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  ]);
  port.receive(TOKEN.slice(0, 60));
  clock.advance(3);
  port.receive(`${TOKEN.slice(60)}\r`);
  t.same(read(), [[TOKEN, 'ok']]);
  t.equal(scans[0]?.at, clock.now(), 'stamped with the chunk holding the terminator');
  t.equal(scans[0]?.problem, undefined, 'a usable scan has no problem at all');
  t.match(scanner.stats, { codes: 1, tooLong: 0, binary: 0, empty: 0, droppedPartials: 0, pendingBytes: 0 });
});

t.test('a code split at any byte boundary, or across three USB packets, arrives as one scan', async (t) => {
  const endings = { cr: '\r', lf: '\n', crlf: '\r\n', any: '\r\n' } as const;
  for (const [terminator, end] of Object.entries(endings)) {
    const { port, read } = await rig({ terminator: terminator as ScannerProfile['terminator'] });
    const line = `${TOKEN}${end}`;
    for (let cut = 0; cut <= line.length; cut++) {
      port.receive(line.slice(0, cut));
      port.receive(line.slice(cut));
    }
    for (let a = 1; a < line.length; a += 7)
      for (let b = a; b < line.length; b += 11) {
        port.receive(line.slice(0, a));
        port.receive(line.slice(a, b));
        port.receive(line.slice(b));
      }
    for (const ch of line) port.receive(ch);
    const scans = read();
    t.ok(scans.length > line.length, `${terminator}: ${scans.length} scans`);
    t.same(
      scans.filter(([code, problem]) => code !== TOKEN || problem !== 'ok'),
      [],
      `${terminator}: every split gives the whole token, nothing else`,
    );
  }
});

t.test('each terminator setting cuts where that scanner ends its codes', async (t) => {
  const cases: [ScannerProfile['terminator'], string, string[][]][] = [
    [
      'cr',
      'A1\rB2\r',
      [
        ['A1', 'ok'],
        ['B2', 'ok'],
      ],
    ],
    // A CR LF scanner on a CR profile: the LF starts the next code, which is refused as binary.
    [
      'cr',
      'A1\r\nB2\r\n',
      [
        ['A1', 'ok'],
        ['\nB2', 'binary'],
      ],
    ],
    [
      'lf',
      'A1\nB2\n',
      [
        ['A1', 'ok'],
        ['B2', 'ok'],
      ],
    ],
    ['lf', 'A1\r\n', [['A1\r', 'binary']]],
    [
      'crlf',
      'A1\r\nB2\r\n',
      [
        ['A1', 'ok'],
        ['B2', 'ok'],
      ],
    ],
    ['crlf', 'A1\rB2\r\n', [['A1\rB2', 'binary']]],
    ['crlf', 'A1\r\r\n', [['A1\r', 'binary']]],
    ['crlf', 'A1\nB2\r\n', [['A1\nB2', 'binary']]],
    ['crlf', '\r\n', [['', 'empty']]],
    [
      'any',
      'A1\rB2\nC3\r\nD4\r\n',
      [
        ['A1', 'ok'],
        ['B2', 'ok'],
        ['C3', 'ok'],
        ['D4', 'ok'],
      ],
    ],
    // LF CR is two terminators, the second ending nothing; CR CR likewise.
    [
      'any',
      'A1\n\r',
      [
        ['A1', 'ok'],
        ['', 'empty'],
      ],
    ],
    [
      'any',
      'A1\r\r',
      [
        ['A1', 'ok'],
        ['', 'empty'],
      ],
    ],
    [
      'any',
      '\r\n\r\n',
      [
        ['', 'empty'],
        ['', 'empty'],
      ],
    ],
    ['cr', '\r', [['', 'empty']]],
  ];
  for (const [terminator, stream, expected] of cases) {
    const { port, read } = await rig({ terminator });
    port.receive(stream);
    t.same(read(), expected, `${terminator} ${JSON.stringify(stream)}`);
  }

  // The CR LF pair counts once under "any" also when the USB packet ends between CR and LF.
  const { port, read, scanner } = await rig({ terminator: 'any' });
  port.receive('A1\r');
  port.receive('\nB2\r');
  port.receive('\n');
  t.same(
    read(),
    [
      ['A1', 'ok'],
      ['B2', 'ok'],
    ],
    'no empty scan from a split CR LF',
  );
  t.equal(scanner.stats.empty, 0);
});

t.test('a read with control or non-ASCII bytes is refused as binary; the next code is fine', async (t) => {
  const { port, read, scanner } = await rig();
  port.receive('AB\x00CD\r');
  port.receive(Buffer.from([0x41, 0xe9, 0x42, 0x0d]));
  port.receive('\x1d01ABC\r'); // a GS1 group separator, as a GS1 QR would start
  port.receive(' ~\r'); // space and tilde are the ends of printable ASCII
  t.same(read(), [
    ['AB\x00CD', 'binary'],
    ['A\xe9B', 'binary'],
    ['\x1d01ABC', 'binary'],
    [' ~', 'ok'],
  ]);
  t.match(scanner.stats, { codes: 1, binary: 3 });
});

t.test('a read longer than maxCodeBytes gives one too_long scan and the rest of it is dropped', async (t) => {
  const { port, read, scanner } = await rig({ maxCodeBytes: 16 });
  port.receive(`${'x'.repeat(16)}\r`);
  t.same(read(), [['x'.repeat(16), 'ok']], 'exactly maxCodeBytes is still a code');

  port.receive(`${'y'.repeat(17)}\r`);
  port.receive(`${'z'.repeat(40)}`);
  port.receive(`${'z'.repeat(40)}\rOK\r`);
  t.same(read().slice(1), [
    ['y'.repeat(16), 'too_long'],
    ['z'.repeat(16), 'too_long'],
    ['OK', 'ok'],
  ]);
  t.match(scanner.stats, { codes: 2, tooLong: 2, pendingBytes: 0 });
});

t.test('a scanner flooding 1 MB without a terminator yields one too_long and bounded memory', async (t) => {
  const { port, read, scanner } = await rig({ maxCodeBytes: 2048 });
  const packet = Buffer.alloc(4096, 0x41);
  let mostPending = 0;
  for (let sent = 0; sent < 1024 * 1024; sent += packet.length) {
    port.receive(packet);
    mostPending = Math.max(mostPending, scanner.stats.pendingBytes);
  }
  t.ok(mostPending <= 2048, `at most maxCodeBytes held (${mostPending})`);
  t.equal(read().length, 1, 'one scan for the whole run');
  t.equal(read()[0]?.[1], 'too_long');
  t.equal(read()[0]?.[0]?.length, 2048, 'holding what fits, cut short');
  port.receive(`\r${TOKEN}\r`);
  t.same(read().slice(1), [[TOKEN, 'ok']], 'the terminator ends the run and the next code is whole');
  t.match(scanner.stats, { codes: 1, tooLong: 1, pendingBytes: 0 });
});

t.test('a partial code left without its terminator is dropped, not glued onto the next', async (t) => {
  const { clock, port, read, scanner, logged } = await rig({ interByteTimeoutMs: 100 });
  port.receive(TOKEN.slice(0, 20));
  clock.advance(99);
  port.receive(TOKEN.slice(20, 40)); // still arriving: the wait starts again
  clock.advance(99);
  t.equal(scanner.stats.pendingBytes, 40, 'kept while bytes keep coming');
  clock.advance(1);
  t.equal(scanner.stats.pendingBytes, 0, 'dropped 100 ms after its last byte');
  t.equal(scanner.stats.droppedPartials, 1);
  t.same(read(), [], 'a dropped partial is not a scan');
  port.receive(`${TOKEN}\r`);
  t.same(read(), [[TOKEN, 'ok']], 'the next code is not glued onto the remnant');
  t.equal(clock.pending, 0, 'no timer left once nothing is pending');

  t.match(logged.lines, [{ level: 'warn', scanner: 'scanner-entry-1', problem: 'partial' }]);
  t.match(logged.lines[0]?.msg, /no terminator within 100 ms .*suffix CR/);

  // A CR LF scanner's half-received line end is a partial too.
  const crlf = await rig({ terminator: 'crlf', interByteTimeoutMs: 100 });
  crlf.port.receive('AB\r');
  crlf.clock.advance(100);
  t.match(crlf.logged.lines[0]?.msg, /suffix CR LF\?/);
  crlf.port.receive('\nCD\r\n');
  t.same(crlf.read(), [['\nCD', 'binary']], 'the late LF is not taken as the end of the old code');
  t.equal(crlf.scanner.stats.droppedPartials, 1);

  // An overlong read already reported is ended by the timeout without being counted twice.
  const long = await rig({ maxCodeBytes: 8, interByteTimeoutMs: 100 });
  long.port.receive('x'.repeat(20));
  long.clock.advance(100);
  long.port.receive('OK\r');
  t.same(long.read(), [
    ['x'.repeat(8), 'too_long'],
    ['OK', 'ok'],
  ]);
  t.match(long.scanner.stats, { tooLong: 1, droppedPartials: 0 });
});

t.test('without interByteTimeoutMs a partial code waits for its terminator however long', async (t) => {
  const { clock, port, read } = await rig();
  port.receive('AB');
  clock.advance(60_000);
  port.receive('CD\r');
  t.same(read(), [['ABCD', 'ok']]);
  t.equal(clock.pending, 0, 'no timer at all');
});

t.test('no code ever reaches a log line or a printed scan', async (t) => {
  const { port, clock, logged, scans } = await rig({ maxCodeBytes: 200, interByteTimeoutMs: 100 });
  port.receive(`${TOKEN}\r`);
  port.receive(`${TOKEN}\x00\r`);
  port.receive(`${TOKEN}${TOKEN}\r`);
  port.receive(TOKEN);
  clock.advance(100);
  t.match(
    logged.lines.map((l) => l.problem),
    ['binary', 'too_long', 'partial'],
  );
  const secretPart = TOKEN.slice(10, 40);
  t.notMatch(logged.text(), secretPart, 'not in the log');
  t.notMatch(JSON.stringify(scans), secretPart, 'not in a JSON-encoded scan');
  t.notMatch(String(scans[0]?.credential), secretPart, 'not in a printed credential');
});

t.test('repeated trouble is logged once a minute, counted every time', async (t) => {
  const { port, clock, logged, scanner } = await rig();
  for (let i = 0; i < 5; i++) port.receive('\x00\r');
  t.equal(logged.lines.length, 1);
  t.equal(scanner.stats.binary, 5);
  clock.advance(60_000);
  port.receive('\x00\r');
  t.match(logged.lines[1], { problem: 'binary', suppressed: 4 });
});

t.test(
  'an unplugged scanner is lost once with the reason, and opens again forgetting the half code',
  async (t) => {
    const { port, read, lost, scanner } = await rig();
    port.receive('HALF');
    port.unplug('serial port /dev/serial/by-id/usb-test-if00 disappeared (hung up)');
    t.same(lost, ['serial port /dev/serial/by-id/usb-test-if00 disappeared (hung up)']);
    port.unplug('again');
    t.equal(lost.length, 1, 'lost once');

    await scanner.open();
    port.receive('OK\r');
    t.same(read(), [['OK', 'ok']], 'the half code from before the unplug is not glued on');
  },
);

t.test('a port that will not open says why, with the scanner-mode hint when there is no port', async (t) => {
  const { port, scanner } = await rig();
  await scanner.close();
  port.refuse = 'no serial port at /dev/serial/by-id/usb-test-if00: is the adapter plugged in?';
  await t.rejects(scanner.open(), {
    message:
      /^no serial port at .*plugged in\?; a scanner in USB keyboard or HID POS mode has no serial port: configure it with driver "hid"/,
  });
  port.refuse = 'permission denied on /dev/ttyACM0: the service user needs the dialout group or a udev rule';
  await t.rejects(scanner.open(), { message: port.refuse });
  port.open = () => Promise.reject('EBUSY');
  await t.rejects(scanner.open(), { message: 'EBUSY' }, 'a transport rejecting with a bare string');

  // The real adapter, on a path that does not exist.
  const real = new SerialScanner({
    id: 'scanner-x',
    path: '/dev/serial/by-id/usb-no-such-scanner-if00',
    profile: profile(),
    clock: new FakeClock(),
  });
  await t.rejects(real.open(), {
    message: /^no serial port at .*no-such-scanner.*USB keyboard or HID POS mode/,
  });
  await real.close();
});

t.test('after close nobody hears the scanner, and close never fails', async (t) => {
  const { port, read, scanner, lost, clock } = await rig({ interByteTimeoutMs: 100 });
  await scanner.open(); // opening an open scanner is harmless
  port.receive('AB');
  t.equal(clock.pending, 1);
  await scanner.close();
  t.equal(clock.pending, 0, 'the stale timer went with the link');
  port.isOpen = true; // a transport that keeps sending after close
  port.receive('CD\r');
  port.unplug();
  t.same(read(), []);
  t.same(lost, []);

  port.close = () => Promise.reject(new Error('EIO'));
  await t.resolves(scanner.close());
});

t.test('a listener that closes the scanner hears nothing more from the same packet', async (t) => {
  const { port, scanner, scans } = await rig();
  const heard: string[] = [];
  const stop = scanner.onData((scan) => {
    heard.push(scan.credential.reveal());
    void scanner.close();
  });
  port.receive('A1\rB2\r');
  t.same(heard, ['A1']);
  t.equal(scans.length, 1);
  stop();
  await scanner.open();
  port.receive('C3\r');
  t.same(heard, ['A1'], 'an unsubscribed listener hears nothing');
  t.equal(scans.length, 2);
});

t.test('the configuration may override the baud rate of the profile', async (t) => {
  const { opened } = await rig({}, { baudRate: 115200 });
  t.equal(opened[0]?.baudRate, 115200);
});

t.test('a stale check that finds the code still arriving waits the rest of the timeout', async (t) => {
  const { clock, port, scanner } = await rig({ interByteTimeoutMs: 100 });
  port.receive('AB');
  clock.advance(60);
  port.receive('CD');
  clock.advance(40); // the first check: only 40 ms quiet
  t.equal(scanner.stats.pendingBytes, 4);
  t.equal(clock.pending, 1, 're-armed for the remaining 60 ms');
  clock.advance(59);
  t.equal(scanner.stats.pendingBytes, 4);
  clock.advance(1);
  t.equal(scanner.stats.droppedPartials, 1);
});
