// A scanner in USB keyboard mode, as the boot-keyboard reports it sends: codes typed as key presses
// and cut at Enter, the layout's characters, unusable reads reported once with their problem, broken
// reports counted and dropped, memory bounded whatever the scanner sends, and never a code in a message.
//
// Where the bytes come from:
//   [HID]  USB-IF, "Device Class Definition for Human Interface Devices (HID)", version 1.11:
//          Appendix B.1 (boot keyboard report: modifier byte, reserved byte, six key codes), §8.3
//          (modifier bits: 0 left Ctrl, 1 left Shift, 2 left Alt, 3 left GUI, 4-7 the right ones),
//          Appendix C (too many keys: every key slot reports ErrorRollOver, 0x01).
//   [HUT]  USB-IF, "HID Usage Tables" 1.12, §10 "Keyboard/Keypad Page (0x07)": a-z 0x04-0x1D, 1-9 and 0
//          0x1E-0x27, Enter 0x28, Tab 0x2B, F1 0x3A, Right Arrow 0x4F, Keypad Enter 0x58, keypad 1 0x59.
//   [MS-4] Microscan, "MS-4 Imager User's Manual", Communications, "Keyboard Report Format": 9 bytes,
//          report id 0x02, modifier, reserved, six key codes; each character one report with its key
//          and one with all key codes 0x00; CR is the Enter key.
//          https://files.microscan.com/helpfiles/ms4_help_file/ms-4_help-02-46.html
import { inspect } from 'node:util';
import t from 'tap';
import { HidKeyboardDecoder } from '../../src/drivers/scanner/hid-keyboard.js';
import { type HidKeyboardProfile, hidKeyboardProfileSchema } from '../../src/drivers/scanner/hid-profile.js';
import { decoderRig, T0 } from '../helpers/hid-rig.js';

// Shaped like an entry token (a compact JWS), and the secret no message may show.
const TOKEN =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImNsb3VkLTIwMjYtMTEifQ.eyJhdWQiOiJzdG9yZS1iZXJsaW4tbWl0dGUiLCJwYXJ0eSI6Mn0.c2lnbmF0dXJlLW9mLXRoZS1jbG91ZA';

const SHIFT = 0x02;
const RIGHT_SHIFT = 0x20;
const ENTER = 0x28;

// US keys by character, written out from [HUT] independently of the decoder's own tables.
const US: Record<string, [key: number, modifiers: number]> = {};
for (let i = 0; i < 26; i++) {
  US[String.fromCharCode(0x61 + i)] = [0x04 + i, 0];
  US[String.fromCharCode(0x41 + i)] = [0x04 + i, SHIFT];
}
'1234567890'.split('').forEach((c, i) => {
  US[c] = [0x1e + i, 0];
});
'!@#$%^&*()'.split('').forEach((c, i) => {
  US[c] = [0x1e + i, SHIFT];
});
Object.assign(US, {
  ' ': [0x2c, 0],
  '-': [0x2d, 0],
  _: [0x2d, SHIFT],
  '=': [0x2e, 0],
  '+': [0x2e, SHIFT],
  '.': [0x37, 0],
  '/': [0x38, 0],
  ':': [0x33, SHIFT],
  '~': [0x35, SHIFT],
});

/** An 8-byte boot report (or 9 with a report id) with these keys down. */
function report(modifiers: number, keys: number[] = [], reportId?: number): Uint8Array {
  const head = reportId === undefined ? [] : [reportId];
  const slots = [...keys, 0, 0, 0, 0, 0, 0].slice(0, 6);
  return Uint8Array.from([...head, modifiers, 0, ...slots]);
}

/** The reports a scanner sends to type `text` on a US layout: each key pressed, then all released. */
function typed(text: string, reportId?: number): Uint8Array[] {
  const reports: Uint8Array[] = [];
  for (const char of text) {
    const key = US[char];
    if (!key) throw new Error(`no US key for ${JSON.stringify(char)} in the test table`);
    reports.push(report(key[1], [key[0]], reportId), report(0, [], reportId));
  }
  return reports;
}

const enter = (reportId?: number) => [report(0, [ENTER], reportId), report(0, [], reportId)];

const profile = (overrides: Partial<HidKeyboardProfile> = {}): HidKeyboardProfile =>
  hidKeyboardProfileSchema.parse({
    kind: 'hid-scanner',
    model: 'test scanner',
    description: 'a scripted scanner',
    mode: 'keyboard',
    layout: 'us',
    ...overrides,
  });

/** A decoder with what it delivered and complained about; `send` feeds reports 1 ms apart. */
function rig(overrides: Partial<HidKeyboardProfile> = {}) {
  return decoderRig(
    (onScan, onTrouble) => new HidKeyboardDecoder({ profile: profile(overrides), onScan, onTrouble }),
  );
}

t.test('a token typed as press/release pairs and Enter arrives as one usable scan', async (t) => {
  const { decoder, scans, send, read } = rig();
  send([...typed(TOKEN), ...enter()]);
  t.same(read(), [[TOKEN, 'ok']]);
  const reports = TOKEN.length * 2 + 2;
  t.equal(scans[0]?.at, T0 + reports - 2, 'stamped with the report that pressed Enter');
  t.equal(scans[0]?.problem, undefined, 'a usable scan has no problem at all');
  t.equal(scans[0]?.symbology, undefined, 'keyboard mode says no symbology');
  t.same(decoder.stats, {
    reports,
    codes: 1,
    tooLong: 0,
    binary: 0,
    empty: 0,
    droppedPartials: 0,
    malformed: 0,
    otherReports: 0,
    pendingBytes: 0,
    unknownKeys: 0,
    rolloverErrors: 0,
  });
});

t.test('[HID B.1, HUT §10] the boot report bytes: modifiers, reserved, six keys', async (t) => {
  const { send, read } = rig();
  send([
    Uint8Array.from([0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]), // a
    Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
    Uint8Array.from([0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00]), // left Shift + b
    Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
    Uint8Array.from([0x20, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x00]), // right Shift + z
    Uint8Array.from([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
    Uint8Array.from([0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00]), // 1
    Uint8Array.from([0x00, 0x00, 0x27, 0x00, 0x00, 0x00, 0x00, 0x00]), // 0, 1 released in the same report
    Uint8Array.from([0x02, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00]), // Shift + 2 = @
    Uint8Array.from([0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00]), // Enter
  ]);
  t.same(read(), [['aBZ10@', 'ok']]);
});

t.test('[MS-4] a scanner numbering its keyboard reports (id 2) is read with reportId 2', async (t) => {
  const { decoder, send, read } = rig({ reportId: 2 });
  send([...typed('MS4-CODE', 2), ...enter(2)]);
  // The same scanner's own "Microscan HID" report (id 1) on the same device is not a key report.
  send([Uint8Array.from([0x01, 11, ...Buffer.from('A]002374938'), ...new Array(51).fill(0)])]);
  t.same(read(), [['MS4-CODE', 'ok']]);
  t.equal(decoder.stats.otherReports, 1);
  t.equal(decoder.stats.malformed, 0);

  // A boot report (no id) where the profile expects ids, and the other way round, are malformed.
  const numbered = rig({ reportId: 2 });
  numbered.send([Uint8Array.from([2, 0, 0x04, 0, 0, 0, 0])]);
  t.equal(numbered.decoder.stats.malformed, 1, 'a numbered report one byte short');
  const boot = rig();
  boot.send([report(0, [0x04], 2)]);
  t.equal(boot.decoder.stats.malformed, 1, 'a 9-byte report on a boot profile');
});

t.test('a key held across reports types once; pressed again after a release it types again', async (t) => {
  const { send, read } = rig();
  const a = report(0, [0x04]);
  send([a, a, a, report(0, []), a, report(0, []), ...enter()]);
  t.same(read(), [['aa', 'ok']]);
});

t.test('six keys held in all six slots type once each, however many reports repeat them', async (t) => {
  const { send, read } = rig();
  const six = report(0, [0x04, 0x05, 0x06, 0x07, 0x08, 0x09]); // a to f
  send([six, six, report(0, [0x09, 0x08, 0x07, 0x06, 0x05, 0x04]), six, report(0, []), ...enter()]);
  t.same(read(), [['abcdef', 'ok']]);
});

t.test('overlapping presses type in the order they went down, whatever slot they sit in', async (t) => {
  const { send, read } = rig();
  send([
    report(0, [0x04]), // a
    report(0, [0x04, 0x05]), // b while a is held
    report(0, [0x05]), // a released
    report(0, [0x06, 0x05]), // c goes down in the first slot, b still held
    report(0, [0x07, 0x08]), // d and e in one report: slot order
    report(0, []),
    ...enter(),
  ]);
  t.same(read(), [['abcde', 'ok']]);
});

t.test('[HID C] a phantom-state report (ErrorRollOver in every slot) is ignored', async (t) => {
  const { decoder, send, read } = rig();
  send([
    report(0, [0x04]), // a
    report(0, [1, 1, 1, 1, 1, 1]),
    report(0, [0x04, 0x05]), // a still down, b new: the phantom report changed nothing
    report(0, []),
    ...enter(),
  ]);
  t.same(read(), [['ab', 'ok']]);
  t.equal(decoder.stats.rolloverErrors, 1);
});

t.test('modifier keys listed among the keys type nothing', async (t) => {
  const { decoder, send, read } = rig();
  send([report(SHIFT, [0xe1, 0x04]), report(0, []), ...enter()]);
  t.same(read(), [['A', 'ok']]);
  t.equal(decoder.stats.unknownKeys, 0);
});

t.test('Shift, left or right, gives the shifted character; released, the plain one', async (t) => {
  const { send, read } = rig();
  send([
    report(SHIFT, [0x2d]), // _
    report(RIGHT_SHIFT, [0x2e]), // +
    report(0, [0x2d]), // -
    report(SHIFT | RIGHT_SHIFT, [0x38]), // ?
    report(0, []),
    ...enter(),
  ]);
  t.same(read(), [['_+-?', 'ok']]);
});

t.test('keypad digits type digits and keypad Enter ends the code', async (t) => {
  const { send, read } = rig();
  const keypad = [0x59, 0x5a, 0x5b, 0x62, 0x63, 0x54, 0x55, 0x56, 0x57]; // 1 2 3 0 . / * - +
  send([...keypad.flatMap((k) => [report(0, [k]), report(0, [])]), report(0, [0x58]), report(0, [])]);
  t.same(read(), [['1230./*-+', 'ok']]);
});

t.test('Tab is part of the code (binary) unless the profile ends codes on Tab', async (t) => {
  const tab = [report(0, [0x2b]), report(0, [])];
  const enterOnly = rig();
  enterOnly.send([...typed('A1'), ...tab, ...typed('B2'), ...enter()]);
  t.same(enterOnly.read(), [['A1\tB2', 'binary']]);

  const either = rig({ terminator: 'enter-or-tab' });
  either.send([...typed('A1'), ...tab, ...typed('B2'), ...enter()]);
  t.same(either.read(), [
    ['A1', 'ok'],
    ['B2', 'ok'],
  ]);
});

t.test('a function key, an arrow or a Ctrl, Alt or GUI combination makes the read binary', async (t) => {
  const cases: [string, Uint8Array][] = [
    ['F1', report(0, [0x3a])],
    ['Right Arrow', report(0, [0x4f])],
    ['Ctrl+C', report(0x01, [0x06])],
    ['right Ctrl+C', report(0x10, [0x06])],
    ['Alt+A', report(0x04, [0x04])],
    ['GUI+L', report(0x08, [0x0f])],
    ['right GUI+L', report(0x80, [0x0f])],
    ['AltGr+Q on a US layout', report(0x40, [0x14])],
    ['Escape', report(0, [0x29])],
    ['Backspace', report(0, [0x2a])],
  ];
  for (const [name, key] of cases) {
    const { decoder, send, read } = rig();
    send([...typed('AB'), key, report(0, []), ...typed('CD'), ...enter(), ...typed('OK'), ...enter()]);
    t.same(
      read(),
      [
        ['ABCD', 'binary'],
        ['OK', 'ok'],
      ],
      `${name}: the read is binary, the next code is fine`,
    );
    t.equal(decoder.stats.unknownKeys, 1, `${name}: counted`);
    t.equal(decoder.stats.binary, 1);
  }
  // A key with no character alone before Enter is still a read, not an empty one.
  const { send, read } = rig();
  send([report(0, [0x3a]), report(0, []), ...enter()]);
  t.same(read(), [['', 'binary']]);
});

t.test('the German layout: Y and Z swapped, its symbols, AltGr, and dead keys as binary', async (t) => {
  const { send, read } = rig({ layout: 'de' });
  send([
    report(0, [0x1c]), // z on the US Y key
    report(0, [0x1d]), // y on the US Z key
    report(SHIFT, [0x24]), // Shift+7 = /
    report(0, [0x38]), // -
    report(0, []), // released: the same key again is a new press
    report(SHIFT, [0x38]), // _
    report(SHIFT, [0x37]), // :
    report(0x40, [0x14]), // AltGr+Q = @
    report(0x40, [0x25]), // AltGr+8 = [
    report(0, [0x64]), // <
    report(0, []),
    ...enter(),
    report(0, [0x34]), // ä: no QR token has it
    report(0, []),
    ...enter(),
    report(0, [0x35]), // ^ is a dead key: types nothing alone
    report(0, []),
    ...enter(),
    report(0x40, [0x04]), // AltGr+A types nothing on a German layout
    report(0, []),
    ...enter(),
  ]);
  t.same(read(), [
    ['zy/-_:@[<', 'ok'],
    ['ä', 'binary'],
    ['', 'binary'],
    ['', 'binary'],
  ]);
});

t.test('Enter alone is an empty read', async (t) => {
  const { decoder, send, read } = rig();
  send([...enter(), report(0, [0x58]), report(0, [])]);
  t.same(read(), [
    ['', 'empty'],
    ['', 'empty'],
  ]);
  t.equal(decoder.stats.empty, 2);
});

t.test('a read longer than maxCodeBytes gives one too_long scan and the rest of it is dropped', async (t) => {
  const { decoder, send, read, scans } = rig({ maxCodeBytes: 16 });
  send([...typed('0123456789ABCDEFGHIJKLMNOP'), ...enter(), ...typed('NEXT'), ...enter()]);
  t.same(read(), [
    ['0123456789ABCDEF', 'too_long'],
    ['NEXT', 'ok'],
  ]);
  t.equal(scans[0]?.at, T0 + 32, 'reported when the 17th character arrived, not at Enter');
  t.match(decoder.stats, { tooLong: 1, codes: 1, pendingBytes: 0 });
});

t.test(
  'a scanner flooding a million keys without Enter yields one too_long and bounded memory',
  async (t) => {
    const { decoder, send, read } = rig({ maxCodeBytes: 64 });
    const a = report(0, [0x04]);
    const b = report(0, [0x05]);
    let peak = 0;
    for (let i = 0; i < 1_000_000; i++) {
      decoder.decode(i % 2 ? a : b, T0);
      if (i % 1000 === 0) peak = Math.max(peak, decoder.stats.pendingBytes);
    }
    t.equal(read().length, 1);
    t.equal(read()[0]?.[1], 'too_long');
    t.ok(peak <= 64, `at most maxCodeBytes held (${peak})`);
    send(enter());
    t.equal(read().length, 1, 'its Enter ends it without another scan');
  },
);

t.test('an overlong read left without Enter is not reported again when it goes stale', async (t) => {
  const { decoder, send, wait, read, troubles } = rig({ maxCodeBytes: 8, interReportTimeoutMs: 100 });
  send(typed('0123456789'));
  wait(200);
  send([...typed('OK'), ...enter()]);
  t.same(read(), [
    ['01234567', 'too_long'],
    ['OK', 'ok'],
  ]);
  t.equal(decoder.stats.droppedPartials, 0);
  t.same(
    troubles.map((x) => x.kind),
    ['too_long'],
  );
});

t.test('a partial code whose next key is overdue is dropped, not glued onto the next', async (t) => {
  const { decoder, send, wait, read, troubles } = rig({ interReportTimeoutMs: 500 });
  send(typed('STALE'));
  wait(600);
  send([...typed('FRESH'), ...enter()]);
  t.same(read(), [['FRESH', 'ok']]);
  t.equal(decoder.stats.droppedPartials, 1);
  t.match(troubles, [{ kind: 'partial', message: /within 500 ms/ }]);

  // The adapter's timer: nothing pending, no deadline; a partial, a deadline; past it, dropped.
  const timer = rig({ interReportTimeoutMs: 500 });
  t.equal(timer.decoder.staleAt, undefined);
  timer.send(typed('AB'));
  const lastReport = timer.now() - 1;
  t.equal(timer.decoder.staleAt, lastReport + 500);
  timer.decoder.expire(lastReport + 499);
  t.equal(timer.decoder.stats.pendingBytes, 2, 'not yet');
  timer.decoder.expire(lastReport + 500);
  t.match(timer.decoder.stats, { pendingBytes: 0, droppedPartials: 1 });
  t.equal(timer.decoder.staleAt, undefined);
  timer.send(enter());
  t.same(timer.read(), [['', 'empty']], 'the late Enter ends nothing but itself');

  // Reports keep coming slower than the timeout but each within it: nothing goes stale.
  const slow = rig({ interReportTimeoutMs: 500 });
  slow.send([...typed('SLOW'), ...enter()], 400);
  t.same(slow.read(), [['SLOW', 'ok']]);
});

t.test('reset forgets the code under way and the keys held', async (t) => {
  const { decoder, send, read } = rig();
  send([...typed('OLD'), report(0, [0x04])]);
  decoder.reset();
  send([report(0, [0x04]), report(0, []), ...enter()]);
  t.same(read(), [['a', 'ok']], 'a key held before the reset counts as a new press');
});

t.test('malformed reports are counted and dropped, and cut the code they fell into', async (t) => {
  const { decoder, send, read, troubles } = rig();
  send([...typed('AB'), new Uint8Array(7), ...typed('CD'), ...enter()]);
  t.same(read(), [['CD', 'ok']], 'the code the broken report fell into is dropped');
  send([new Uint8Array(0), new Uint8Array(64).fill(0xff), ...typed('EF'), ...enter()]);
  t.same(read(), [
    ['CD', 'ok'],
    ['EF', 'ok'],
  ]);
  t.match(decoder.stats, { malformed: 3, droppedPartials: 1 });
  t.match(troubles[0], { kind: 'malformed', message: /7 bytes where a keyboard report has 8/ });
});

t.test('random garbage never throws, is all counted, and memory stays bounded', async (t) => {
  const { decoder, read } = rig({ maxCodeBytes: 32 });
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const total = 50_000;
  let peak = 0;
  for (let i = 0; i < total; i++) {
    const length = random() < 0.8 ? 8 : Math.floor(random() * 70);
    const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
    decoder.decode(bytes, T0 + i);
    peak = Math.max(peak, decoder.stats.pendingBytes);
  }
  t.ok(peak <= 32, `at most maxCodeBytes held (${peak})`);
  const stats = decoder.stats;
  t.equal(stats.reports, total);
  t.ok(stats.malformed > 0 && stats.unknownKeys > 0);
  t.equal(read().length, stats.codes + stats.tooLong + stats.binary + stats.empty, 'every scan counted once');
});

t.test('no code ever reaches a trouble message or a printed scan', async (t) => {
  const { send, wait, scans, troubles } = rig({ maxCodeBytes: 64, interReportTimeoutMs: 100 });
  send([...typed(TOKEN.slice(0, 40)), report(0, [0x3a]), ...enter()]); // binary
  send([...typed(TOKEN), ...enter()]); // too long
  send(typed(TOKEN.slice(0, 30)));
  wait(200);
  send([...typed(TOKEN.slice(0, 20)), new Uint8Array(3)]); // stale, then malformed
  send([...typed(TOKEN.slice(0, 40)), ...enter()]);
  t.same(
    troubles.map((x) => x.kind),
    ['binary', 'too_long', 'partial', 'malformed', 'partial'],
  );
  const said = JSON.stringify(troubles) + scans.map((s) => `${inspect(s)} ${JSON.stringify(s)} ${s}`).join();
  for (const piece of [TOKEN.slice(0, 12), TOKEN.slice(40, 52), TOKEN.slice(-12)])
    t.notOk(said.includes(piece), 'no piece of the code shows');
  t.match(said, /\[secret\]/);
});
