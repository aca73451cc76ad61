// A QR scanner on USB HID, on an in-memory HID bus with fake time: found by its ids, serial number or
// path, its reports decoded into scans, broken or foreign reports counted and ignored, its unplugging
// and return told at once, memory bounded whatever it sends, and never a code in a log.
//
// Report layouts are the published ones the decoder tests cite: the boot keyboard report (USB HID 1.11,
// Appendix B.1; keys from HID Usage Tables §10) and Newland's HID POS "Getting Scanned Data" (report id
// 2, byte 1 length, bytes 2-57 data, byte 62 code id, bit 0 of byte 63 "continued").
import { join } from 'node:path';
import t from 'tap';
import { devicesDir } from '../../src/drivers/profile-file.js';
import { HidScanner, type HidScannerOptions } from '../../src/drivers/scanner/hid.js';
import type { HidScan } from '../../src/drivers/scanner/hid-code.js';
import { type HidProfile, hidProfileSchema, loadHidProfile } from '../../src/drivers/scanner/hid-profile.js';
import type { HidDeviceInfo } from '../../src/drivers/scanner/hid-transport.js';
import { FakeClock, flushPromises } from '../../src/system/clock.js';
import { FakeHid, newlandFm420, UNPLUG_MESSAGE } from '../helpers/fake-hid.js';
import { newlandPosReports as posReports } from '../helpers/hid-rig.js';
import { captureLog } from '../helpers/log-capture.js';

// Shaped like an entry token (a compact JWS), and the secret no log may show.
const TOKEN =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImNsb3VkLTIwMjYtMTEifQ.eyJhdWQiOiJzdG9yZS1iZXJsaW4tbWl0dGUiLCJwYXJ0eSI6Mn0.c2lnbmF0dXJlLW9mLXRoZS1jbG91ZA';

const keyboardProfile = loadHidProfile(join(devicesDir, 'hid-keyboard-wedge-generic.yaml'));
const newlandProfile = loadHidProfile(join(devicesDir, 'hid-pos-newland-fm420.yaml'));

// A keyboard-mode scanner (the generic profile names no ids: the configuration does).
const wedge: HidDeviceInfo = {
  path: '/dev/hidraw1',
  vendorId: 0x0c2e,
  productId: 0x0b01,
  usagePage: 0x01,
  product: 'Barcode Scanner',
};
// Two Newland FM420s in HID POS mode.
const newland = newlandFm420;
const newland2: HidDeviceInfo = { ...newland, path: '/dev/hidraw5', serialNumber: 'NL0002' };
const mouse: HidDeviceInfo = { path: '/dev/hidraw0', vendorId: 0x046d, productId: 0xc077, usagePage: 0x01 };

// --- keyboard reports, US layout -----------------------------------------------------------------
const SHIFT = 0x02;
const US = new Map<string, [key: number, modifiers: number]>();
for (let i = 0; i < 26; i++) {
  US.set(String.fromCharCode(0x61 + i), [0x04 + i, 0]);
  US.set(String.fromCharCode(0x41 + i), [0x04 + i, SHIFT]);
}
for (let i = 0; i < 10; i++) US.set('1234567890'[i] as string, [0x1e + i, 0]);
US.set('-', [0x2d, 0]).set('_', [0x2d, SHIFT]).set('.', [0x37, 0]);

const keys = (modifiers: number, key = 0) => Uint8Array.of(modifiers, 0, key, 0, 0, 0, 0, 0);
/** What a US-layout keyboard-mode scanner sends to type `text`: each key pressed, then released. */
function typed(text: string): Uint8Array[] {
  return [...text].flatMap((char) => {
    const key = US.get(char);
    if (!key) throw new Error(`no US key for ${char} in the test table`);
    return [keys(key[1], key[0]), keys(0)];
  });
}
const enter = () => [keys(0, 0x28), keys(0)];

interface RigOptions {
  profile?: HidProfile;
  devices?: HidDeviceInfo[];
  options?: Partial<HidScannerOptions>;
}

/** A scanner on a fake HID bus, not yet opened, with what it delivered, lost and said about presence. */
function rig({ profile = newlandProfile, devices = [mouse, newland], options = {} }: RigOptions = {}) {
  const clock = new FakeClock();
  const hid = new FakeHid(devices);
  const logged = captureLog();
  const scanner = new HidScanner({
    id: 'scanner-in',
    profile,
    transport: hid,
    clock,
    log: logged.log,
    ...options,
  });
  const scans: HidScan[] = [];
  const lost: string[] = [];
  const presence: boolean[] = [];
  scanner.onData((scan) => scans.push(scan as HidScan));
  scanner.onLost((reason) => lost.push(reason));
  const read = () => scans.map((s) => [s.credential.reveal(), s.problem ?? 'ok']);
  const watchPresence = () => scanner.onPresence((present) => presence.push(present));
  return { clock, hid, logged, scanner, scans, lost, presence, read, watchPresence };
}

const wedgeRig = (devices = [mouse, wedge]) =>
  rig({ profile: keyboardProfile, devices, options: { match: { vendorId: 0x0c2e, productId: 0x0b01 } } });

t.test('a keyboard-mode scanner typing a token on the US layout gives one scan: the token', async (t) => {
  const { hid, scanner, read, scans } = wedgeRig();
  await scanner.open();
  hid.send(wedge.path, ...typed(TOKEN), ...enter());
  t.same(read(), [[TOKEN, 'ok']]);
  t.equal(scans[0]?.at, Date.UTC(2025, 0, 1), 'stamped with the clock when the Enter arrived');
  t.match(scanner.stats, { codes: 1, reports: TOKEN.length * 2 + 2, malformed: 0, open: true });
  t.equal(scanner.stats.device, '0c2e:0b01 "Barcode Scanner" usage page 0x01 at /dev/hidraw1');
});

t.test('a HID POS scanner sends a token over several reports: one scan, with its code id', async (t) => {
  const { hid, scanner, read, scans } = rig();
  await scanner.open();
  const reports = posReports(TOKEN);
  t.equal(reports.length, 3, 'the token needs three 56-byte reports');
  hid.send(newland.path, ...reports);
  t.same(read(), [[TOKEN, 'ok']]);
  t.equal(scans[0]?.vendorSymbology, 'Q', "Newland's code id for a QR Code");
  t.equal(hid.opens(newland.path), 1);
  t.equal(hid.opens(mouse.path), 0, 'the mouse was never opened');
});

t.test('a report of the wrong size is counted and ignored, and the next token still reads', async (t) => {
  const { hid, scanner, read, logged } = wedgeRig();
  await scanner.open();
  hid.send(wedge.path, Uint8Array.of(0, 0, 0x04, 0, 0, 0, 0));
  t.same(read(), []);
  t.equal(scanner.stats.malformed, 1);
  hid.send(wedge.path, ...typed(TOKEN), ...enter());
  t.same(read(), [[TOKEN, 'ok']]);
  const warnings = logged.lines.filter((l) => l.level === 'warn');
  t.equal(warnings.length, 1, 'told once');
  t.match(warnings[0], {
    scanner: 'scanner-in',
    problem: 'malformed',
    msg: /a report of 7 bytes where a keyboard report has 8/,
  });
});

t.test("reports that are another interface's (another report id) are counted and ignored", async (t) => {
  const { hid, scanner, read } = rig();
  await scanner.open();
  hid.send(newland.path, ...posReports(TOKEN, 'Q', 4));
  t.same(read(), []);
  t.equal(scanner.stats.otherReports, 3);
});

t.test(
  'a keyboard scanner flooding keys without Enter holds at most maxCodeBytes, tells too_long once',
  async (t) => {
    const { hid, scanner, read, logged } = wedgeRig();
    await scanner.open();
    let most = 0;
    const a = typed('a');
    for (let i = 0; i < 20_000; i++) {
      hid.send(wedge.path, ...a);
      most = Math.max(most, scanner.stats.pendingBytes);
    }
    t.equal(most, keyboardProfile.maxCodeBytes, 'never more than maxCodeBytes characters held');
    t.equal(scanner.stats.pendingBytes, 0, 'the overlong read is dropped, not kept');
    t.same(
      read().map(([, problem]) => problem),
      ['too_long'],
    );
    hid.send(wedge.path, ...enter(), ...typed(TOKEN), ...enter());
    t.same(read()[1], [TOKEN, 'ok'], 'after the Enter the next token reads whole');
    t.notMatch(logged.text(), 'aaaaaaaa', 'the flood is not in the log');
  },
);

t.test('a HID POS scanner that keeps saying "continued" holds at most maxCodeBytes', async (t) => {
  const { hid, scanner, read } = rig();
  await scanner.open();
  const [first] = posReports(`${'x'.repeat(56)}y`);
  let most = 0;
  for (let i = 0; i < 5000; i++) {
    hid.send(newland.path, first as Uint8Array);
    most = Math.max(most, scanner.stats.pendingBytes);
  }
  t.ok(most <= newlandProfile.maxCodeBytes, `at most ${most} bytes held`);
  t.same(
    read().map(([, problem]) => problem),
    ['too_long'],
  );
});

t.test('a half-typed code whose next key never comes is dropped, not glued to the next one', async (t) => {
  const { clock, hid, scanner, read } = wedgeRig();
  await scanner.open();
  hid.send(wedge.path, ...typed('eyJhbGci'));
  clock.advance(keyboardProfile.interReportTimeoutMs - 1);
  t.equal(scanner.stats.droppedPartials, 0, 'still waiting within interReportTimeoutMs');
  clock.advance(1);
  t.equal(scanner.stats.droppedPartials, 1, 'dropped as soon as it is overdue');
  t.equal(scanner.stats.pendingBytes, 0);
  hid.send(wedge.path, ...typed(TOKEN), ...enter());
  t.same(read(), [[TOKEN, 'ok']]);
});

t.test('a Microscan-format code filling whole reports is ended by the silence after it', async (t) => {
  const microscan = hidProfileSchema.parse({
    kind: 'hid-scanner',
    model: 'Microscan MS-4 (HID POS)',
    description: 'length-only reports',
    mode: 'pos',
    reportFormat: 'length-only',
    match: { vendorId: 0x0b1e, productId: 0x0001 },
  });
  const ms4: HidDeviceInfo = { path: '/dev/hidraw3', vendorId: 0x0b1e, productId: 0x0001 };
  const { clock, hid, scanner, read } = rig({ profile: microscan, devices: [ms4] });
  await scanner.open();
  const code = 'Q'.repeat(62);
  const r = new Uint8Array(64);
  r.set([1, 62, ...Buffer.from(code)]);
  hid.send(ms4.path, r);
  t.same(read(), [], 'a full report may continue');
  clock.advance(microscan.interReportTimeoutMs);
  t.same(read(), [[code, 'ok']]);
});

t.test('a scanner unplugged mid-shift is lost at once, said to be unplugged, and then absent', async (t) => {
  const { clock, hid, scanner, lost, presence, watchPresence } = rig();
  watchPresence();
  await scanner.open();
  await clock.advanceAsync(1000);
  t.same(presence, [], 'nothing to tell while it stays');
  hid.unplug(newland.path);
  t.equal(lost.length, 1, 'lost at once, before any presence check');
  t.equal(
    lost[0],
    `HID scanner 1eab:0d10 "NLS-FM420" serial NL0001 usage page 0x8c at /dev/hidraw2 was unplugged (${UNPLUG_MESSAGE})`,
  );
  t.equal(scanner.stats.open, false);
  t.equal(hid.openHandles(newland.path).length, 0, 'its handle was closed');
  await clock.advanceAsync(1000);
  t.same(presence, [false], 'the next check finds it gone');
  t.equal(scanner.stats.present, false);
  hid.handles[0]?.fail(UNPLUG_MESSAGE);
  t.equal(lost.length, 1, 'a second error from the same handle is not a second loss');
});

t.test('a scanner plugged back is present again at the next check, and opens', async (t) => {
  const { clock, hid, scanner, presence, watchPresence, read } = rig();
  watchPresence();
  await scanner.open();
  hid.unplug(newland.path);
  await clock.advanceAsync(1000);
  await t.rejects(scanner.open(), /no HID device with vendorId 0x1eab, productId 0x0d10 is plugged in/);
  hid.replug(newland.path);
  await clock.advanceAsync(999);
  t.same(presence, [false], 'not yet checked');
  await clock.advanceAsync(1);
  t.same(presence, [false, true]);
  await scanner.open();
  hid.send(newland.path, ...posReports(TOKEN));
  t.same(read(), [[TOKEN, 'ok']]);
  t.equal(hid.opens(newland.path), 2, 'opened, and again after the re-plug: never tried while gone');
});

t.test('opening a scanner that is not plugged in fails, naming its ids and what is there', async (t) => {
  const { scanner } = rig({ devices: [mouse] });
  await t.rejects(scanner.open(), {
    message:
      'scanner "scanner-in": no HID device with vendorId 0x1eab, productId 0x0d10 is plugged in (HID devices listed: 046d:c077 usage page 0x01 at /dev/hidraw0)',
  });
  const many = Array.from({ length: 9 }, (_, i) => ({ ...mouse, path: `/dev/hidraw${10 + i}` }));
  await t.rejects(
    rig({ devices: many }).scanner.open(),
    /at \/dev\/hidraw17; …\)$/,
    'a long list is cut at 8',
  );
  const bare = rig({ devices: [] });
  await t.rejects(
    bare.scanner.open(),
    /no HID device is listed at all: is it plugged in and set to a USB HID mode\?/,
  );
});

t.test(
  'two matching scanners without a serial number in the configuration: an error, none opened',
  async (t) => {
    const { hid, scanner } = rig({ devices: [newland, newland2] });
    await t.rejects(
      scanner.open(),
      /^scanner "scanner-in": 2 HID devices fit .*Add serialNumber to the scanner in the configuration: one of "NL0001", "NL0002"$/,
    );
    t.equal(hid.opens(newland.path) + hid.opens(newland2.path), 0);
  },
);

t.test(
  "the configuration's serial number picks one of two, and its ids win over the profile's",
  async (t) => {
    const bySerial = rig({ devices: [newland, newland2], options: { match: { serialNumber: 'NL0002' } } });
    await bySerial.scanner.open();
    t.equal(bySerial.hid.opens(newland2.path), 1);
    t.equal(bySerial.hid.opens(newland.path), 0);

    const oem: HidDeviceInfo = { ...newland, path: '/dev/hidraw6', productId: 0x0d20, serialNumber: 'Q1' };
    const byIds = rig({ devices: [newland, oem], options: { match: { productId: 0x0d20 } } });
    await byIds.scanner.open();
    t.equal(byIds.hid.opens(oem.path), 1, 'the OEM build with its own product id');
  },
);

t.test('a scanner is never opened twice', async (t) => {
  const { hid, scanner } = rig();
  await Promise.all([scanner.open(), scanner.open()]);
  await scanner.open();
  t.equal(hid.opens(newland.path), 1);
  t.equal(hid.openHandles(newland.path).length, 1);
});

t.test('an open the transport refuses says why, with the scanner and its device', async (t) => {
  const { hid, scanner } = rig();
  const denied =
    'permission denied on /dev/hidraw2: the service user needs a udev rule (KERNEL=="hidraw*", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="0d10", GROUP="store-gateway", MODE="0660"; docs/devices.md, "USB HID scanners")';
  hid.refuse(newland.path, denied);
  await t.rejects(scanner.open(), {
    message: `scanner "scanner-in" (1eab:0d10 "NLS-FM420" serial NL0001 usage page 0x8c at /dev/hidraw2): ${denied}`,
  });
  t.equal(scanner.stats.open, false);
  hid.refuse(newland.path, undefined);
  await scanner.open();
  t.equal(scanner.stats.open, true, 'opens once the rule is there');
});

t.test('a listing that fails makes open fail with its reason', async (t) => {
  const { hid, scanner } = rig();
  hid.listingFails = 'node-hid could not load libusb-1.0: install it with `apt-get install libusb-1.0-0`';
  await t.rejects(scanner.open(), {
    message:
      'scanner "scanner-in": node-hid could not load libusb-1.0: install it with `apt-get install libusb-1.0-0`',
  });
});

t.test('closed while it was being opened: the device is given back and the open fails', async (t) => {
  const { hid, scanner } = rig();
  const opening = scanner.open();
  await scanner.close();
  await t.rejects(opening, /scanner "scanner-in" was closed while it was being opened/);
  t.equal(hid.opens(newland.path), 1);
  t.equal(hid.openHandles(newland.path).length, 0, 'no handle left open');
  await scanner.open();
  t.equal(hid.openHandles(newland.path).length, 1, 'a later open works');
});

t.test(
  'after close nothing is delivered or lost; reports node-hid had queued are counted and ignored',
  async (t) => {
    const { hid, scanner, read, lost } = rig();
    await scanner.open();
    const handle = hid.handles[0];
    await scanner.close();
    t.equal(handle?.closed, true);
    for (const r of posReports(TOKEN)) handle?.report(r, true);
    t.same(read(), []);
    t.equal(scanner.stats.ignoredReports, 3);
    handle?.fail(UNPLUG_MESSAGE, true);
    t.same(lost, [], 'an error node-hid had on its way is no loss of a closed scanner');
  },
);

t.test('a read error that is not an unplug is lost with its own words', async (t) => {
  const { hid, scanner, lost } = rig();
  await scanner.open();
  hid.handles[0]?.fail('device has been closed');
  t.same(lost, [
    'HID scanner 1eab:0d10 "NLS-FM420" serial NL0001 usage page 0x8c at /dev/hidraw2 failed: device has been closed',
  ]);
});

t.test('a half-read code is forgotten when the scanner is opened again', async (t) => {
  const { hid, scanner, read } = rig();
  await scanner.open();
  hid.send(newland.path, posReports(TOKEN)[0] as Uint8Array);
  hid.unplug(newland.path);
  hid.replug(newland.path);
  await scanner.open();
  hid.send(newland.path, ...posReports('after'));
  t.same(read(), [['after', 'ok']]);
});

t.test('presence is told on change only, never at subscription', async (t) => {
  const { clock, hid, presence, watchPresence, scanner } = rig();
  watchPresence();
  await flushPromises();
  t.same(presence, []);
  t.equal(scanner.stats.present, true, 'known after the first check');
  await clock.advanceAsync(5000);
  t.same(presence, []);
  hid.unplug(newland.path);
  hid.replug(newland.path);
  await clock.advanceAsync(1000);
  t.same(presence, [], 'out and back between two checks is no change');
  hid.unplug(newland.path);
  await clock.advanceAsync(1000);
  await clock.advanceAsync(1000);
  t.same(presence, [false], 'told once');
});

t.test('a scanner absent at subscription is told present when it is plugged in', async (t) => {
  const { clock, hid, presence, watchPresence } = rig({ devices: [mouse] });
  watchPresence();
  await flushPromises();
  hid.plug(newland);
  await clock.advanceAsync(1000);
  t.same(presence, [true]);
});

t.test('presence follows a device of another model at the same path as absent', async (t) => {
  const { clock, hid, presence, watchPresence } = rig({ options: { match: { path: '/dev/hidraw2' } } });
  watchPresence();
  await flushPromises();
  hid.unplug(newland.path);
  hid.plug({ ...mouse, path: newland.path });
  await clock.advanceAsync(1000);
  t.same(presence, [false], "a mouse at the scanner's old path is not the scanner");
});

t.test('scanners on one transport share one listing per period', async (t) => {
  const clock = new FakeClock();
  const hid = new FakeHid([newland, newland2, wedge]);
  const heard: string[] = [];
  const make = (id: string, match: HidScannerOptions['match']) =>
    new HidScanner({ id, profile: newlandProfile, match, transport: hid, clock }).onPresence((present) =>
      heard.push(`${id} ${present}`),
    );
  make('in', { serialNumber: 'NL0001' });
  make('out', { serialNumber: 'NL0002' });
  make('exit', { path: '/dev/hidraw9' });
  await flushPromises();
  t.equal(hid.enumerations, 1, 'one listing for three scanners');
  await clock.advanceAsync(5000);
  t.equal(hid.enumerations, 6, 'then one per second');
  hid.unplug(newland2.path);
  await clock.advanceAsync(1000);
  t.same(heard, ['out false'], 'each scanner hears about its own device');
});

t.test('the last listener leaving stops the presence checks', async (t) => {
  const { clock, hid, scanner } = rig();
  const stopA = scanner.onPresence(() => {});
  const stopB = scanner.onPresence(() => {});
  await clock.advanceAsync(1000);
  const pending = clock.pending;
  stopA();
  await clock.advanceAsync(1000);
  t.equal(hid.enumerations, 3, 'still checked while one listens');
  stopB();
  stopB();
  t.equal(clock.pending, pending - 1, 'its timer is gone');
  await clock.advanceAsync(5000);
  t.equal(hid.enumerations, 3);
  t.equal(scanner.stats.present, undefined, 'nobody asks, nobody knows');
});

t.test('a listing that fails keeps presence as it was, and is logged once a minute', async (t) => {
  const { clock, hid, presence, watchPresence, scanner, logged } = rig();
  watchPresence();
  await flushPromises();
  hid.listingFails = 'node-hid (hidraw driver) needs libudev: install it with `apt-get install libudev1`';
  await clock.advanceAsync(10_000);
  t.same(presence, []);
  t.equal(scanner.stats.present, true);
  t.equal(scanner.stats.enumerationFailures, 10);
  const warnings = logged.lines.filter((l) => l.problem === 'enumeration');
  t.equal(warnings.length, 1);
  t.match(warnings[0]?.msg, /cannot list the HID devices .*apt-get install libudev1/);
});

t.test('a listing slower than the period is not stacked: one check at a time', async (t) => {
  const { clock, hid, presence, watchPresence, scanner } = rig();
  hid.hold();
  watchPresence();
  await clock.advanceAsync(5000);
  t.equal(hid.enumerations, 1, 'the checks that fell due meanwhile were skipped');
  hid.release();
  await flushPromises();
  t.equal(scanner.stats.present, true);
  await clock.advanceAsync(1000);
  t.equal(hid.enumerations, 2, 'checking resumes at the next period');
  t.same(presence, []);
});

t.test('a check still under way when the last listener leaves is not told to anyone', async (t) => {
  const { hid, scanner } = rig();
  const heard: boolean[] = [];
  const stop = scanner.onPresence((present) => heard.push(present));
  stop();
  await flushPromises();
  t.equal(hid.enumerations, 1);
  t.equal(scanner.stats.present, undefined, 'the answer of the abandoned check was dropped');
});

t.test('a generic profile with no device in the configuration is refused at once', async (t) => {
  t.throws(
    () => rig({ profile: keyboardProfile }),
    /HID scanner "scanner-in" names no device: give vendorId and productId \(or a serialNumber or path\)/,
  );
});

t.test('no code read reaches the log, whatever went wrong', async (t) => {
  const { hid, scanner, logged } = wedgeRig();
  await scanner.open();
  hid.send(wedge.path, ...typed(TOKEN.slice(0, 40)), keys(0, 0x3a), keys(0), ...enter());
  hid.send(wedge.path, ...typed(TOKEN), Uint8Array.of(1, 2, 3));
  t.ok(scanner.stats.binary === 1 && scanner.stats.malformed === 1, 'both troubles happened');
  t.ok(logged.lines.length >= 2, 'and were logged');
  t.notMatch(logged.text(), TOKEN.slice(0, 12));
});
