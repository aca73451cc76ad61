// A scanner in HID POS mode, as the 64-byte scanned-data reports its vendor documents: codes
// reassembled across reports, the AIM symbology identifier stripped and reported, unusable reads
// reported once with their problem, broken or foreign reports counted and dropped, memory bounded,
// and never a code in a message.
//
// Where the report layouts and byte-exact vectors come from (read there, written here as bytes):
//   [ACCESS-IS] Access-IS, "LSR118 Product Manual" (2020), Appendix B "HID reports - barcode only",
//       B.1 "Receive data" and B.1.1 "Example HID input reports, as sent by the device"; the same table
//       and example in the LSR116 and ATR110 product manuals (ATR110, 2015: §7.1.1 "Receiving Data").
//       https://manualshive.com/en/manual/access-is/lsr118/lsr118_product-manual_455317-68.html
//       https://manualshive.com/ru/manual/access-is/atr110/455315?page=34 (the second report)
//   [HONEYWELL] Hand Held Products (Honeywell), "USB Interfaces User's Guide", "HID POS Interface",
//       "Getting Scanned Data": report id 2, byte 1 the data length, bytes 2-4 the AIM id, 5-60 data,
//       61 the Hand Held Products symbology id, 63 bit 0 "Decode Data Continued". Layout only, no example.
//       https://manualshive.com/en/manual/hand-held-products/2020-5b/589668?page=15
//   [NEWLAND] Newland, "NLS-FM420 Fixed Mount Barcode Scanner Integration Guide", "USB Interface",
//       "HID-POS", "Getting Scanned Data": report id 0x02, byte 1 length, 2-57 data, 58-61 reserved,
//       62 the Newland symbology identifier or 0x00, 63 bit 0 "Decode Data Continued". The same table
//       is in the Quio QU-R-302 manual ("Acquire Scanned Data", p. 79).
//       https://manualshive.com/ru/manual/newland/nls-fm420/1679532?page=57
//   [NEWLAND-WIKI] Newland wiki, "USB HID-POS Report ID", example 1 (FM30 serial number): the scanner's
//       input report 02 0E 02 00 00 08 45 4C 30 33 30 30 39 35 25 51, then 0x00 to 64 bytes.
//       http://54.179.161.191/en/Services/wiki_info/435.html
//   [MICROSCAN] Microscan, "MS-4 Imager User's Manual" / MINI Hawk help, "Microscan HID Report Format":
//       64 bytes, report id 0x01, byte 1 LENGTH 0-62, 62 data bytes NUL-padded; example IN report
//       "1_11_A]002374938 (51)"; a message longer than a report continues in the next, the example being
//       a report of LENGTH 62 followed by one of LENGTH 6.
//       https://files.microscan.com/helpfiles/ms4_help_file/ms-4_help-02-45.html
import { inspect } from 'node:util';
import t from 'tap';
import { HidPosDecoder } from '../../src/drivers/scanner/hid-pos.js';
import { type HidPosProfile, hidPosProfileSchema } from '../../src/drivers/scanner/hid-profile.js';
import { decoderRig, T0 } from '../helpers/hid-rig.js';

// Shaped like an entry token (a compact JWS), and the secret no message may show.
const TOKEN =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImNsb3VkLTIwMjYtMTEifQ.eyJhdWQiOiJzdG9yZS1iZXJsaW4tbWl0dGUiLCJwYXJ0eSI6Mn0.c2lnbmF0dXJlLW9mLXRoZS1jbG91ZA';

const ascii = (text: string) => [...Buffer.from(text, 'latin1')];

/** A 64-byte report: `bytes` at `at`, zeros elsewhere. */
function report(parts: [at: number, bytes: number[]][]): Uint8Array {
  const r = new Uint8Array(64);
  for (const [at, bytes] of parts) r.set(bytes, at);
  return r;
}

/** [HONEYWELL]/[ACCESS-IS] reports for `data`: 56 bytes each, the AIM id and vendor id in every one. */
function aimHeaderReports(data: number[], aim = ']Q1', vendor = 's'): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (let i = 0; i === 0 || i < data.length; i += 56) {
    const chunk = data.slice(i, i + 56);
    const more = i + 56 < data.length ? 1 : 0;
    reports.push(
      report([
        [0, [2, chunk.length, ...ascii(aim)]],
        [5, chunk],
        [61, ascii(vendor)],
        [63, [more]],
      ]),
    );
  }
  return reports;
}

/** [NEWLAND] reports for `data`: 56 bytes each from byte 2, the code id in byte 62. */
function codeIdTrailerReports(data: number[], codeId = 0): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (let i = 0; i === 0 || i < data.length; i += 56) {
    const chunk = data.slice(i, i + 56);
    const more = i + 56 < data.length ? 1 : 0;
    reports.push(
      report([
        [0, [2, chunk.length, ...chunk]],
        [62, [codeId, more]],
      ]),
    );
  }
  return reports;
}

/** [MICROSCAN] reports for `data`: 62 bytes each from byte 2; a shorter (maybe empty) one ends it. */
function lengthOnlyReports(data: number[]): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (let i = 0; ; i += 62) {
    const chunk = data.slice(i, i + 62);
    reports.push(report([[0, [1, chunk.length, ...chunk]]]));
    if (chunk.length < 62) return reports;
  }
}

const profile = (overrides: Partial<HidPosProfile>): HidPosProfile =>
  hidPosProfileSchema.parse({
    kind: 'hid-scanner',
    model: 'test scanner',
    description: 'a scripted scanner',
    mode: 'pos',
    reportFormat: 'aim-header',
    ...overrides,
  });

/** A decoder with what it delivered and complained about; `send` feeds reports 1 ms apart. */
function rig(overrides: Partial<HidPosProfile> = {}) {
  return decoderRig(
    (onScan, onTrouble) => new HidPosDecoder({ profile: profile(overrides), onScan, onTrouble }),
  );
}

t.test("[ACCESS-IS] the manual's 60-byte boarding pass in two reports arrives as one QR scan", async (t) => {
  // B.1.1: "the decoded barcode contained 60 bytes of data, which the device split into two HID
  // reports"; byte 63 is 0x01 in the first and 0x00 in the second, whose unused data bytes are 0x00.
  const first = Uint8Array.from([
    0x02, // report id
    0x38, // 56 data bytes
    0x5d,
    0x51,
    0x30, // "]Q0"
    ...ascii('M1GATHERGOOD/MICHAEL  YABCDEF LHRDURAK 3542 052Y003D23  '),
    0x73, // further symbology identifier "s"
    0x00, // reserved
    0x01, // data continued
  ]);
  const second = Uint8Array.from([
    0x02,
    0x04,
    0x5d,
    0x51,
    0x30,
    ...ascii(' 100'),
    ...new Array(52).fill(0),
    0x73,
    0x00,
    0x00,
  ]);
  t.equal(first.length, 64);
  t.equal(second.length, 64);
  const { decoder, scans, send, read } = rig({ reportFormat: 'aim-header' });
  send([first]);
  t.same(read(), [], 'nothing until the report without "continued"');
  t.equal(decoder.stats.pendingBytes, 56);
  send([second]);
  const pass = 'M1GATHERGOOD/MICHAEL  YABCDEF LHRDURAK 3542 052Y003D23   100';
  t.equal(pass.length, 60, 'the 60 bytes the manual says');
  t.same(read(), [[pass, 'ok']]);
  t.match(scans[0], { symbology: 'Q0', vendorSymbology: 's', at: T0 + 1 });
  t.same(decoder.stats, {
    reports: 2,
    codes: 1,
    tooLong: 0,
    binary: 0,
    empty: 0,
    droppedPartials: 0,
    malformed: 0,
    otherReports: 0,
    pendingBytes: 0,
  });
});

t.test('[HONEYWELL] a token over three aim-header reports: code reassembled, "]Q1" reported', async (t) => {
  const { scans, send, read } = rig({ reportFormat: 'aim-header' });
  const reports = aimHeaderReports(ascii(TOKEN), ']Q1', 's');
  t.equal(reports.length, Math.ceil(TOKEN.length / 56));
  send(reports);
  t.same(read(), [[TOKEN, 'ok']]);
  t.match(scans[0], { symbology: 'Q1', vendorSymbology: 's' });

  // No AIM id (header bytes 0x00) and no vendor id: the scan says no symbology.
  const bare = rig({ reportFormat: 'aim-header' });
  bare.send([report([[0, [2, 2, 0, 0, 0, 0x41, 0x42]]])]);
  t.same(bare.read(), [['AB', 'ok']]);
  t.equal(bare.scans[0]?.symbology, undefined);
  t.equal(bare.scans[0]?.vendorSymbology, undefined);
});

t.test('the symbology is the one the first report of a code gave', async (t) => {
  const { scans, send, read } = rig({ reportFormat: 'aim-header' });
  const [first] = aimHeaderReports(ascii('A'.repeat(60)), ']Q1', 's');
  const [, second] = aimHeaderReports(ascii('A'.repeat(60)), ']d2', 'w');
  send([first as Uint8Array, second as Uint8Array]);
  t.same(read(), [['A'.repeat(60), 'ok']]);
  t.match(scans[0], { symbology: 'Q1', vendorSymbology: 's' });
});

t.test('[NEWLAND] code-id-trailer reports: data from byte 2, code id in byte 62, flag in 63', async (t) => {
  const { scans, send, read } = rig({ reportFormat: 'code-id-trailer' });
  send(codeIdTrailerReports(ascii(TOKEN), 0x51));
  t.same(read(), [[TOKEN, 'ok']]);
  t.match(scans[0], { vendorSymbology: 'Q' });
  t.equal(scans[0]?.symbology, undefined, 'no AIM id unless the scanner prefixes it');

  // With the scanner's AIM ID prefix on, the first three data bytes are the symbology, not the code.
  const prefixed = rig({ reportFormat: 'code-id-trailer', aimPrefix: true });
  prefixed.send(codeIdTrailerReports(ascii(`]Q1${TOKEN}`)));
  t.same(prefixed.read(), [[TOKEN, 'ok']]);
  t.equal(prefixed.scans[0]?.symbology, 'Q1');
  t.equal(prefixed.scans[0]?.vendorSymbology, undefined, 'code id byte 0x00: none sent');
  t.equal(prefixed.decoder.stats.codes, 1);
});

t.test('[NEWLAND-WIKI] a command reply on the scanned-data report is refused as binary', async (t) => {
  const bytes = [
    0x02, 0x0e, 0x02, 0x00, 0x00, 0x08, 0x45, 0x4c, 0x30, 0x33, 0x30, 0x30, 0x39, 0x35, 0x25, 0x51,
  ];
  const { send, read } = rig({ reportFormat: 'code-id-trailer' });
  send([report([[0, bytes]])]);
  t.same(read(), [['\x02\x00\x00\x08EL030095%Q', 'binary']], '14 bytes from byte 2, as byte 1 says');
});

t.test(
  "[MICROSCAN] a length-only report: the manual's Code 39 example, and a full report continuing",
  async (t) => {
    // "1_11_A]002374938 (51)": report id 1, LENGTH 11, the 11 characters, 51 NUL bytes of padding. (The
    // manual's DATA line beneath it shows 10 characters; the report line adds up to 64 bytes, so it wins.)
    const code39 = Uint8Array.from([0x01, 11, ...ascii('A]002374938'), ...new Array(51).fill(0)]);
    t.equal(code39.length, 64);
    const { decoder, scans, send, read } = rig({ reportFormat: 'length-only' });
    send([code39]);
    t.same(read(), [['A]002374938', 'ok']]);
    t.equal(scans[0]?.symbology, undefined, 'the format has no symbology field');

    // The manual's long message: a report with LENGTH 62 is continued by the next (there LENGTH 6).
    const long = `${'L'.repeat(62)}PORTS>`;
    send(lengthOnlyReports(ascii(long)));
    t.same(read()[1], [long, 'ok']);
    t.equal(decoder.stats.codes, 2);

    // With aimPrefix, a code that does not start with "]" keeps all of its bytes.
    const prefixed = rig({ reportFormat: 'length-only', aimPrefix: true });
    prefixed.send([code39, ...lengthOnlyReports(ascii(`]Q1${TOKEN}`))]);
    t.same(prefixed.read(), [
      ['A]002374938', 'ok'],
      [TOKEN, 'ok'],
    ]);
    t.equal(prefixed.scans[1]?.symbology, 'Q1');
  },
);

t.test('[MICROSCAN] a code filling whole reports ends with an empty report or with silence', async (t) => {
  const exact = ascii('X'.repeat(124));
  const { decoder, scans, send, wait, read } = rig({
    reportFormat: 'length-only',
    interReportTimeoutMs: 200,
  });
  send([report([[0, [1, 62, ...exact.slice(0, 62)]]]), report([[0, [1, 62, ...exact.slice(62)]]])]);
  t.same(read(), [], 'a full report says more may follow');
  const lastReport = T0 + 1;
  t.equal(decoder.staleAt, lastReport + 200);
  decoder.expire(lastReport + 199);
  t.same(read(), []);
  decoder.expire(lastReport + 200);
  t.same(read(), [['X'.repeat(124), 'ok']], 'silence ended it');
  t.equal(scans[0]?.at, lastReport, 'stamped with its last report');
  t.equal(decoder.stats.droppedPartials, 0);

  // The next code's first report coming late ends the one before first.
  send([report([[0, [1, 62, ...exact.slice(0, 62)]]])]);
  wait(300);
  send(lengthOnlyReports(ascii('NEXT')));
  t.same(read().slice(1), [
    ['X'.repeat(62), 'ok'],
    ['NEXT', 'ok'],
  ]);

  // An empty report ends it at once.
  send([report([[0, [1, 62, ...exact.slice(0, 62)]]]), report([[0, [1, 0]]])]);
  t.same(read().slice(3), [['X'.repeat(62), 'ok']]);
});

t.test('every code length, over every report boundary, comes back whole in every format', async (t) => {
  const formats = [
    ['aim-header', (d: number[]) => aimHeaderReports(d)],
    ['code-id-trailer', (d: number[]) => codeIdTrailerReports(d)],
    ['length-only', (d: number[]) => lengthOnlyReports(d)],
  ] as const;
  for (const [reportFormat, build] of formats) {
    const { send, read, decoder } = rig({ reportFormat });
    const expected: string[] = [];
    for (let length = 1; length <= 250; length++) {
      const code = TOKEN.repeat(2).slice(0, length);
      expected.push(code);
      send(build(ascii(code)));
    }
    t.same(
      read().map(([code, problem]) => (problem === 'ok' ? code : `${problem}`)),
      expected,
      `${reportFormat}: 250 codes of 1 to 250 bytes`,
    );
    t.equal(decoder.stats.pendingBytes, 0);
  }
});

t.test('a code with control or non-ASCII bytes is refused as binary; the next code is fine', async (t) => {
  const { send, read } = rig({ reportFormat: 'code-id-trailer' });
  send(codeIdTrailerReports([0x1d, ...ascii('0104012345012345')])); // a GS1 QR starts with GS
  send(codeIdTrailerReports([0x41, 0xe9, 0x42]));
  send(codeIdTrailerReports([0x41, 0x00, 0x42]));
  send(codeIdTrailerReports([0x41, 0x7f, 0x42])); // DEL
  send(codeIdTrailerReports(ascii(' ~'))); // space and tilde are the ends of printable ASCII
  t.same(read(), [
    ['\x1d0104012345012345', 'binary'],
    ['A\xe9B', 'binary'],
    ['A\x00B', 'binary'],
    ['A\x7fB', 'binary'],
    [' ~', 'ok'],
  ]);
});

t.test('a report with no data that ends a code is an empty read', async (t) => {
  const { decoder, scans, send, read } = rig({ reportFormat: 'aim-header' });
  send(aimHeaderReports([]));
  t.same(read(), [['', 'empty']]);
  t.equal(scans[0]?.symbology, 'Q1');
  const prefixed = rig({ reportFormat: 'code-id-trailer', aimPrefix: true });
  prefixed.send(codeIdTrailerReports(ascii(']Q1')));
  t.same(prefixed.read(), [['', 'empty']], 'an AIM id alone');
  t.equal(prefixed.scans[0]?.symbology, 'Q1');
  t.equal(decoder.stats.empty, 1);
});

t.test('a code longer than maxCodeBytes gives one too_long scan and the rest of it is dropped', async (t) => {
  const { decoder, scans, send, read } = rig({ reportFormat: 'aim-header', maxCodeBytes: 100 });
  send([...aimHeaderReports(ascii('Z'.repeat(300))), ...aimHeaderReports(ascii('NEXT'))]);
  t.same(read(), [
    ['Z'.repeat(100), 'too_long'],
    ['NEXT', 'ok'],
  ]);
  t.equal(scans[0]?.at, T0 + 1, "reported with the report that overflowed, not at the code's end");
  t.match(decoder.stats, { tooLong: 1, codes: 1, pendingBytes: 0 });
});

t.test('a scanner flooding "continued" reports yields one too_long and bounded memory', async (t) => {
  const { decoder, read } = rig({ reportFormat: 'code-id-trailer', maxCodeBytes: 256 });
  const more = codeIdTrailerReports(ascii('F'.repeat(112)))[0] as Uint8Array;
  let peak = 0;
  for (let i = 0; i < 200_000; i++) {
    decoder.decode(more, T0);
    if (i % 100 === 0) peak = Math.max(peak, decoder.stats.pendingBytes);
  }
  t.same(
    read().map(([, problem]) => problem),
    ['too_long'],
  );
  t.ok(peak <= 256, `at most maxCodeBytes held (${peak})`);
});

t.test('a code whose "continued" report never comes is dropped, not glued onto the next', async (t) => {
  const { decoder, send, wait, read, troubles } = rig({
    reportFormat: 'aim-header',
    interReportTimeoutMs: 500,
  });
  const cut = aimHeaderReports(ascii(TOKEN));
  send([cut[0] as Uint8Array]);
  wait(600);
  send(aimHeaderReports(ascii('FRESH')));
  t.same(read(), [['FRESH', 'ok']]);
  t.equal(decoder.stats.droppedPartials, 1);
  t.match(troubles, [{ kind: 'partial', message: /within 500 ms/ }]);

  // The adapter's timer drops it too, and the deadline goes with it.
  send([cut[0] as Uint8Array]);
  t.equal(decoder.staleAt, T0 + 602 + 500);
  decoder.expire(T0 + 602 + 500);
  t.equal(decoder.staleAt, undefined);
  t.match(decoder.stats, { droppedPartials: 2, pendingBytes: 0 });
  decoder.expire(T0 + 10_000);
  t.equal(decoder.stats.droppedPartials, 2, 'nothing to expire twice');
});

t.test('reports that cannot be scanned-data reports are counted and dropped, no crash', async (t) => {
  const { decoder, send, read, troubles } = rig({ reportFormat: 'aim-header' });
  const [head] = aimHeaderReports(ascii(TOKEN));
  send([head as Uint8Array, new Uint8Array(63).fill(2)]); // a short report cuts the code
  send(aimHeaderReports(ascii('OK1')));
  send([new Uint8Array(0), new Uint8Array(65).fill(2), report([[0, [2, 57]]])]);
  send([report([[0, [3, 4]]]), report([[0, [0x04, 9]]])]); // other report ids
  send(aimHeaderReports(ascii('OK2')));
  t.same(read(), [
    ['OK1', 'ok'],
    ['OK2', 'ok'],
  ]);
  t.match(decoder.stats, { malformed: 4, otherReports: 2, droppedPartials: 1, codes: 2 });
  t.same(
    troubles.map((x) => x.message),
    [
      'a report of 63 bytes where a scanned-data report has 64: dropped',
      'a report of 63 bytes where a scanned-data report has 64 cut a code short: the code was dropped',
      'an empty report: dropped',
      'a report of 65 bytes where a scanned-data report has 64: dropped',
      'a report claiming 57 data bytes where it has room for 56: dropped',
      'a report with id 3 is not the scanned-data report (id 2): ignored',
      'a report with id 4 is not the scanned-data report (id 2): ignored',
    ],
  );

  const microscan = rig({ reportFormat: 'length-only' });
  microscan.send([report([[0, [1, 63]]]), report([[0, [2, 5]]])]);
  t.match(microscan.decoder.stats, { malformed: 1, otherReports: 1 });
});

t.test('a profile may name another report id for the scanned-data report', async (t) => {
  const { decoder, send, read } = rig({ reportFormat: 'code-id-trailer', reportId: 5 });
  const [r] = codeIdTrailerReports(ascii('ID5'));
  const five = Uint8Array.from(r as Uint8Array);
  five[0] = 5;
  send([five, r as Uint8Array]);
  t.same(read(), [['ID5', 'ok']]);
  t.equal(decoder.stats.otherReports, 1);
});

t.test('reset forgets the code under way', async (t) => {
  const { decoder, send, read } = rig({ reportFormat: 'aim-header' });
  send([aimHeaderReports(ascii(TOKEN))[0] as Uint8Array]);
  decoder.reset();
  t.equal(decoder.stats.pendingBytes, 0);
  send(aimHeaderReports(ascii('AFTER')));
  t.same(read(), [['AFTER', 'ok']]);
  t.equal(decoder.stats.droppedPartials, 0, 'a reset is no dropped partial');
});

t.test('random garbage never throws, is all counted, and memory stays bounded', async (t) => {
  for (const reportFormat of ['aim-header', 'code-id-trailer', 'length-only'] as const) {
    const { decoder, read } = rig({ reportFormat, maxCodeBytes: 128 });
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const total = 20_000;
    let peak = 0;
    for (let i = 0; i < total; i++) {
      const length = random() < 0.8 ? 64 : Math.floor(random() * 80);
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      // Mostly the right report id and a plausible length, so the garbage reaches the data path.
      if (length > 1 && random() < 0.7) {
        bytes[0] = reportFormat === 'length-only' ? 1 : 2;
        bytes[1] = Math.floor(random() * 64);
      }
      decoder.decode(bytes, T0 + i * 50);
      peak = Math.max(peak, decoder.stats.pendingBytes);
    }
    const stats = decoder.stats;
    t.equal(stats.reports, total, `${reportFormat}: every report counted`);
    t.ok(stats.malformed > 0 && stats.otherReports > 0, `${reportFormat}: garbage seen as such`);
    t.ok(peak <= 128, `${reportFormat}: at most maxCodeBytes held (${peak})`);
    t.equal(
      read().length,
      stats.codes + stats.tooLong + stats.binary + stats.empty,
      'every scan counted once',
    );
  }
});

t.test('no code ever reaches a trouble message or a printed scan', async (t) => {
  const { send, wait, scans, troubles } = rig({ reportFormat: 'aim-header', maxCodeBytes: 64 });
  send(aimHeaderReports([...ascii(TOKEN.slice(0, 40)), 0x1d])); // binary
  send(aimHeaderReports(ascii(TOKEN))); // too long
  send([aimHeaderReports(ascii(TOKEN.slice(0, 60)))[0] as Uint8Array]);
  wait(1000);
  send([aimHeaderReports(ascii(TOKEN.slice(0, 60)))[0] as Uint8Array, new Uint8Array(10).fill(2)]); // stale, then broken
  t.same(
    troubles.map((x) => x.kind),
    ['binary', 'too_long', 'partial', 'malformed', 'partial'],
  );
  const said = JSON.stringify(troubles) + scans.map((s) => `${inspect(s)} ${JSON.stringify(s)} ${s}`).join();
  for (const piece of [TOKEN.slice(0, 12), TOKEN.slice(20, 32), TOKEN.slice(-12)])
    t.notOk(said.includes(piece), 'no piece of the code shows');
  t.match(said, /\[secret\]/);
});
