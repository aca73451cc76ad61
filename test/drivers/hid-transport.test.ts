// Which USB HID device a scanner is, as a technician configures it: by vendor and product id, serial
// number or path; never a guess when several fit, but a message saying what to add. And the device
// listing that scanners sharing a hub share, so polling presence costs one listing per period.
import t from 'tap';
import {
  type HidDeviceInfo,
  type HidDeviceMatch,
  matchHidDevice,
  recentHidDevices,
} from '../../src/drivers/scanner/hid-transport.js';
import { FakeClock } from '../../src/system/clock.js';
import { FakeHid, newlandFm420 } from '../helpers/fake-hid.js';

const newland1 = newlandFm420;
const newland2: HidDeviceInfo = { ...newland1, path: '/dev/hidraw5', serialNumber: 'NL0002' };
const keyboard: HidDeviceInfo = {
  path: '/dev/hidraw0',
  vendorId: 0x046d,
  productId: 0xc52b,
  usagePage: 0x01,
};
// hidraw lists a device once per top-level collection, all at one path.
const twoCollections: HidDeviceInfo[] = [
  { path: '/dev/hidraw7', vendorId: 0x0c2e, productId: 0x0b01, usagePage: 0x01, usage: 0x06 },
  { path: '/dev/hidraw7', vendorId: 0x0c2e, productId: 0x0b01, usagePage: 0x0c, usage: 0x01 },
];
// One scanner with a keyboard interface and a HID POS interface: one serial number, two paths.
const composite: HidDeviceInfo[] = [
  { path: '/dev/hidraw8', vendorId: 0x05f9, productId: 0x2206, serialNumber: 'S1', usagePage: 0x01 },
  { path: '/dev/hidraw9', vendorId: 0x05f9, productId: 0x2206, serialNumber: 'S1', usagePage: 0x8c },
];
// Two cheap scanners of one model with no serial numbers.
const twins: HidDeviceInfo[] = [
  { path: '/dev/hidraw10', vendorId: 0x0483, productId: 0x0011 },
  { path: '/dev/hidraw11', vendorId: 0x0483, productId: 0x0011, serialNumber: '' },
];
// The libusb driver lists no usage page.
const viaLibusb: HidDeviceInfo = { path: '3-1.4:1.0', vendorId: 0x1eab, productId: 0x0d20 };

const listed = [keyboard, newland1, newland2, ...twoCollections, ...composite, ...twins, viaLibusb];

const cases: { says: string; want: HidDeviceMatch; picks?: string; none?: true; error?: RegExp }[] = [
  {
    says: 'vendor and product id pick the only such device',
    want: { vendorId: 0x046d, productId: 0xc52b },
    picks: '/dev/hidraw0',
  },
  { says: 'a path picks its device', want: { path: '/dev/hidraw5' }, picks: '/dev/hidraw5' },
  {
    says: "a path with the profile's ids picks the device when it is that model",
    want: { path: '/dev/hidraw5', vendorId: 0x1eab, productId: 0x0d10 },
    picks: '/dev/hidraw5',
  },
  {
    says: 'a path to another model is refused, saying what is there',
    want: { path: '/dev/hidraw0', vendorId: 0x1eab, productId: 0x0d10 },
    error:
      /^the device at \/dev\/hidraw0 is 046d:c52b usage page 0x01, not one with vendorId 0x1eab, productId 0x0d10/,
  },
  { says: 'ids nobody has match nothing', want: { vendorId: 0x1eab, productId: 0x0d00 }, none: true },
  { says: 'a path nothing is at matches nothing', want: { path: '/dev/hidraw42' }, none: true },
  {
    says: 'two scanners of one model without a serial number are no guess: the serial numbers found are said',
    want: { vendorId: 0x1eab, productId: 0x0d10 },
    error:
      /^2 HID devices fit vendorId 0x1eab, productId 0x0d10: 1eab:0d10 "NLS-FM420" serial NL0001 usage page 0x8c at \/dev\/hidraw2; .*NL0002.*\. Add serialNumber to the scanner in the configuration: one of "NL0001", "NL0002"$/,
  },
  {
    says: 'the serial number picks one of two',
    want: { vendorId: 0x1eab, productId: 0x0d10, serialNumber: 'NL0002' },
    picks: '/dev/hidraw5',
  },
  {
    says: 'a serial number nobody has matches nothing',
    want: { vendorId: 0x1eab, serialNumber: 'NL0009' },
    none: true,
  },
  {
    says: 'a device listed once per collection is one device',
    want: { vendorId: 0x0c2e, productId: 0x0b01 },
    picks: '/dev/hidraw7',
  },
  {
    says: 'two interfaces of one scanner ask for the usage page',
    want: { vendorId: 0x05f9, productId: 0x2206, serialNumber: 'S1' },
    error:
      /They are interfaces of one scanner: add usagePage \(0x01 or 0x8c; 0x8c is HID POS, 0x01 a keyboard\)$/,
  },
  {
    says: 'the usage page picks the HID POS interface',
    want: { vendorId: 0x05f9, productId: 0x2206, usagePage: 0x8c },
    picks: '/dev/hidraw9',
  },
  {
    says: 'identical scanners without serial numbers are told apart by path',
    want: { vendorId: 0x0483, productId: 0x0011 },
    error: /They have no distinct serial numbers: name one by path \(\/dev\/hidraw10 or \/dev\/hidraw11\)$/,
  },
  {
    says: 'a usage page the driver could not read (libusb) does not hide the device',
    want: { vendorId: 0x1eab, productId: 0x0d20, usagePage: 0x8c },
    picks: '3-1.4:1.0',
  },
  {
    says: 'a keyboard at the path configured for a HID POS scanner is refused',
    want: { path: '/dev/hidraw0', usagePage: 0x8c },
    error:
      /^the device at \/dev\/hidraw0 is 046d:c52b usage page 0x01, not one with usagePage 0x8c, path \/dev\/hidraw0$/,
  },
  {
    says: 'a match naming no device is refused',
    want: { usagePage: 0x8c },
    error: /^no device named: give vendorId/,
  },
];

for (const c of cases)
  t.test(c.says, async (t) => {
    if (c.error) {
      t.throws(() => matchHidDevice(listed, c.want), c.error);
      return;
    }
    const device = matchHidDevice(listed, c.want);
    if (c.none) t.equal(device, undefined);
    else t.equal(device?.path, c.picks);
  });

t.test('an empty listing matches nothing, whatever is asked', async (t) => {
  t.equal(matchHidDevice([], { vendorId: 0x1eab, productId: 0x0d10 }), undefined);
  t.equal(matchHidDevice([], { path: '/dev/hidraw2' }), undefined);
});

t.test('scanners asking within one period share one listing', async (t) => {
  const clock = new FakeClock();
  const hid = new FakeHid([newland1]);
  const first = recentHidDevices(hid, clock, 1000);
  const second = recentHidDevices(hid, clock, 1000);
  t.equal(second, first, 'a listing under way is shared');
  t.same(await first, [newland1]);
  clock.advance(999);
  t.same(await recentHidDevices(hid, clock, 1000), [newland1]);
  t.equal(hid.enumerations, 1, 'one listing for three askers within 999 ms');
  clock.advance(1);
  hid.plug(newland2);
  t.same(
    (await recentHidDevices(hid, clock, 1000)).map((d) => d.path),
    ['/dev/hidraw2', '/dev/hidraw5'],
    'a period later the devices are listed afresh',
  );
  t.equal(hid.enumerations, 2);
});

t.test('an age of 0 always lists afresh, and its listing serves the others', async (t) => {
  const clock = new FakeClock();
  const hid = new FakeHid([newland1]);
  await recentHidDevices(hid, clock, 0);
  await recentHidDevices(hid, clock, 0);
  t.equal(hid.enumerations, 2);
  await recentHidDevices(hid, clock, 1000);
  t.equal(hid.enumerations, 2, 'a fresh listing is recent enough for a presence check');
});

t.test('a failed listing is not kept: the next asker lists again', async (t) => {
  const clock = new FakeClock();
  const hid = new FakeHid([newland1]);
  hid.listingFails = 'node-hid (hidraw driver) needs libudev: install it with `apt-get install libudev1`';
  await t.rejects(recentHidDevices(hid, clock, 1000), /apt-get install libudev1/);
  hid.listingFails = undefined;
  t.same(await recentHidDevices(hid, clock, 1000), [newland1]);
  t.equal(hid.enumerations, 2);
});

t.test('transports do not share listings', async (t) => {
  const clock = new FakeClock();
  const a = new FakeHid([newland1]);
  const b = new FakeHid([keyboard]);
  t.same(await recentHidDevices(a, clock, 1000), [newland1]);
  t.same(await recentHidDevices(b, clock, 1000), [keyboard]);
});
