// The node-hid transport, mostly against a fake node-hid (no HID hardware on a build machine): loaded
// only when a HID device is first listed or opened, its driver chosen once per process, every failure
// to load turned into the package a technician must install, every refused open into the udev rule
// that is missing. Error texts are node-hid 3.4's and hidapi 0.14's own (src/read.cc, HIDAsync.cc,
// linux/hid.c) and Node's dlopen message for a missing library. The last tests load the real node-hid.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { devicesDir } from '../../src/drivers/profile-file.js';
import { HidScanner } from '../../src/drivers/scanner/hid.js';
import { loadHidProfile } from '../../src/drivers/scanner/hid-profile.js';
import type { HidDeviceInfo } from '../../src/drivers/scanner/hid-transport.js';
import { type HidDriver, type NodeHidDevice, nodeHidTransport } from '../../src/drivers/scanner/node-hid.js';
import { FakeClock } from '../../src/system/clock.js';

const loadedNodeHid = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((path) => /[/\\]node-hid[/\\]/.test(path));

const newland: NodeHidDevice = {
  path: '/dev/hidraw2',
  vendorId: 0x1eab,
  productId: 0x0d10,
  serialNumber: 'NL0001',
  manufacturer: 'Newland',
  product: 'NLS-FM420',
  interface: 0,
  usagePage: 0x8c,
  usage: 0x02,
};
/** The same device as the transport lists it. */
const newlandInfo: HidDeviceInfo = { ...newland, path: '/dev/hidraw2' };

/** A HIDAsync: an EventEmitter that emits "data" Buffers and "error" strings, as node-hid's does. */
class FakeHidAsync extends EventEmitter {
  closes = 0;
  closeFails = false;
  async close(): Promise<void> {
    this.closes++;
    if (this.closeFails) throw new Error('device has been closed');
  }
}

/** A node-hid whose binding fails (or not) the way the test says, recording what the adapter asked. */
function fakeNodeHid(options: { devices?: NodeHidDevice[]; bindingFails?: Error; openFails?: Error } = {}) {
  const driverTypes: HidDriver[] = [];
  const opened: FakeHidAsync[] = [];
  const hid = {
    driverTypes,
    opened,
    bindingFails: options.bindingFails,
    setDriverType(type: HidDriver) {
      driverTypes.push(type);
    },
    async devicesAsync(): Promise<NodeHidDevice[]> {
      if (hid.bindingFails) throw hid.bindingFails;
      return options.devices ?? [newland];
    },
    HIDAsync: {
      async open(_path: string): Promise<FakeHidAsync> {
        if (hid.bindingFails) throw hid.bindingFails;
        if (options.openFails) throw options.openFails;
        const device = new FakeHidAsync();
        opened.push(device);
        return device;
      },
    },
  };
  return hid;
}

/** Node's error for a native module whose library is missing. */
function dlopenError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_DLOPEN_FAILED' });
}

t.test('a hub that never lists or opens a HID device never loads node-hid', async (t) => {
  let loads = 0;
  const transport = nodeHidTransport({
    load: async () => {
      loads++;
      return fakeNodeHid();
    },
  });
  const scanner = new HidScanner({
    id: 'scanner-in',
    profile: loadHidProfile(join(devicesDir, 'hid-pos-newland-fm420.yaml')),
    transport,
    clock: new FakeClock(),
  });
  await scanner.close();
  t.equal(loads, 0, 'configured, closed, and node-hid never loaded');
  nodeHidTransport();
  t.same(loadedNodeHid(), [], 'the real transport, made and unused, did not import node-hid either');
});

t.test('the driver is hidraw unless said, set once before node-hid is first used', async (t) => {
  const hid = fakeNodeHid();
  const transport = nodeHidTransport({ load: async () => hid });
  t.same(await transport.devices(), [newlandInfo]);
  await transport.devices();
  await transport.open(newlandInfo);
  t.same(hid.driverTypes, ['hidraw']);
});

t.test('the libusb driver is set when asked for', async (t) => {
  const hid = fakeNodeHid();
  await nodeHidTransport({ driver: 'libusb', load: async () => hid }).devices();
  t.same(hid.driverTypes, ['libusb']);
});

t.test('a second driver in one process is refused: node-hid cannot switch once loaded', async (t) => {
  const hid = fakeNodeHid();
  await nodeHidTransport({ driver: 'hidraw', load: async () => hid }).devices();
  await t.rejects(nodeHidTransport({ driver: 'libusb', load: async () => hid }).devices(), {
    message:
      'node-hid already uses the hidraw driver in this process and cannot switch to libusb: give every HID scanner the same driver',
  });
  t.same(hid.driverTypes, ['hidraw']);
  await nodeHidTransport({ driver: 'hidraw', load: async () => hid }).devices();
  t.pass('another transport with the same driver is fine');
});

t.test('listed devices keep what matching needs; what node-hid leaves blank becomes absent', async (t) => {
  const viaLibusb: NodeHidDevice = {
    path: '3-1.4:1.0',
    vendorId: 0x1eab,
    productId: 0x0d10,
    serialNumber: '',
    product: '',
    manufacturer: '',
    interface: 0,
    usagePage: 0,
    usage: 0,
  };
  const pathless: NodeHidDevice = { vendorId: 0x1234, productId: 0x5678, interface: 0 };
  const transport = nodeHidTransport({ load: async () => fakeNodeHid({ devices: [viaLibusb, pathless] }) });
  t.same(await transport.devices(), [
    {
      path: '3-1.4:1.0',
      vendorId: 0x1eab,
      productId: 0x0d10,
      serialNumber: undefined,
      usagePage: undefined,
      usage: undefined,
      interface: 0,
      product: undefined,
      manufacturer: undefined,
    },
  ]);
});

const loadFailures: { says: string; error: Error; driver?: HidDriver; message: RegExp }[] = [
  {
    says: 'libusb-1.0 missing: install libusb-1.0-0',
    error: dlopenError('libusb-1.0.so.0: cannot open shared object file: No such file or directory'),
    message:
      /^node-hid could not load libusb-1\.0: install it with `apt-get install libusb-1\.0-0` \(libusb-1\.0\.so\.0: cannot open/,
  },
  {
    says: 'libudev missing: install libudev1',
    error: dlopenError('libudev.so.1: cannot open shared object file: No such file or directory'),
    message:
      /^node-hid \(hidraw driver\) needs libudev: install it with `apt-get install libudev1` \(libudev\.so\.1:/,
  },
  {
    says: 'libudev missing under libusb too (libusb itself needs it)',
    driver: 'libusb',
    error: dlopenError('libudev.so.1: cannot open shared object file: No such file or directory'),
    message: /^node-hid \(libusb driver\) needs libudev: install it with `apt-get install libudev1`/,
  },
  {
    says: 'no prebuilt binding for this machine: build one',
    error: new Error(
      'Failed to find binding for HID_hidraw\nTried paths:\n - /opt/x/build/Release/HID_hidraw.node',
    ),
    message: new RegExp(
      `^node-hid has no prebuilt binding for ${process.platform}-${process.arch}: build it with \`apt-get install build-essential libudev-dev libusb-1\\.0-0-dev\` then \`npm rebuild node-hid\`$`,
    ),
  },
  {
    says: 'a binding built for something else: reinstall',
    error: dlopenError(
      '/opt/x/prebuilds/HID_hidraw-linux-arm64/node-napi-v4.node: wrong ELF class: ELFCLASS64',
    ),
    message:
      /^node-hid's native binding cannot be loaded \(.*wrong ELF class.*\): reinstall the gateway's packages with `npm ci`$/,
  },
];

for (const c of loadFailures) {
  t.test(`listing, when node-hid's binding will not load: ${c.says}`, async (t) => {
    const hid = fakeNodeHid({ bindingFails: c.error });
    await t.rejects(nodeHidTransport({ driver: c.driver, load: async () => hid }).devices(), c.message);
  });
  t.test(`opening first, when node-hid's binding will not load: ${c.says}`, async (t) => {
    const hid = fakeNodeHid({ bindingFails: c.error });
    await t.rejects(
      nodeHidTransport({ driver: c.driver, load: async () => hid }).open(newlandInfo),
      c.message,
    );
  });
}

t.test('node-hid missing from node_modules: run npm ci', async (t) => {
  const transport = nodeHidTransport({
    load: () =>
      Promise.reject(
        Object.assign(
          new Error("Cannot find package 'node-hid' imported from /opt/store-gateway/dist/x.js"),
          {
            code: 'ERR_MODULE_NOT_FOUND',
          },
        ),
      ),
  });
  await t.rejects(transport.devices(), {
    message: "node-hid is not installed: run `npm ci` in the gateway's directory",
  });
});

t.test('a failure that is no missing package is passed on in its own words', async (t) => {
  const broken = nodeHidTransport({ load: () => Promise.reject(new Error('out of memory')) });
  await t.rejects(broken.devices(), { message: 'cannot load node-hid: out of memory' });
  const stuck = nodeHidTransport({
    load: async () => fakeNodeHid({ bindingFails: new Error('udev enumerate failed') }),
  });
  await t.rejects(stuck.devices(), { message: 'cannot list the HID devices: udev enumerate failed' });
  const odd = nodeHidTransport({ load: () => Promise.reject('a string') });
  await t.rejects(odd.devices(), { message: 'cannot load node-hid: a string' });
});

t.test('once the missing library is installed, the next try works without a restart', async (t) => {
  const hid = fakeNodeHid({ bindingFails: dlopenError('libusb-1.0.so.0: cannot open shared object file') });
  let loads = 0;
  const transport = nodeHidTransport({
    load: async () => {
      loads++;
      return hid;
    },
  });
  await t.rejects(transport.devices(), /apt-get install libusb-1\.0-0/);
  hid.bindingFails = undefined;
  t.same(await transport.devices(), [newlandInfo]);
  t.equal(loads, 2, 'the failure was not kept');
});

const openFailures: { says: string; driver: HidDriver; error: string; message: string }[] = [
  {
    says: 'hidraw, permission denied: the udev rule to add',
    driver: 'hidraw',
    error:
      "cannot open device with path /dev/hidraw2: Failed to open a device with path '/dev/hidraw2': Permission denied",
    message:
      'permission denied on /dev/hidraw2: the service user needs a udev rule (KERNEL=="hidraw*", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="0d10", GROUP="store-gateway", MODE="0660"; docs/devices.md, "USB HID scanners")',
  },
  {
    says: 'hidraw, gone between listing and opening',
    driver: 'hidraw',
    error:
      "cannot open device with path /dev/hidraw2: Failed to open a device with path '/dev/hidraw2': No such file or directory",
    message:
      "/dev/hidraw2 is gone: the scanner was unplugged after it was listed (cannot open device with path /dev/hidraw2: Failed to open a device with path '/dev/hidraw2': No such file or directory)",
  },
  {
    says: 'hidraw, anything else in its own words',
    driver: 'hidraw',
    error: 'cannot open device with path /dev/hidraw2: Failed to open a device with path: Input/output error',
    message:
      'cannot open HID device /dev/hidraw2: cannot open device with path /dev/hidraw2: Failed to open a device with path: Input/output error',
  },
  {
    says: 'libusb, which never says why: the udev rule, or another program',
    driver: 'libusb',
    error: 'cannot open device with path /dev/hidraw2: hid_error is not implemented yet',
    message:
      'libusb could not open the scanner at USB port /dev/hidraw2 and gives no reason: usually the service user lacks a udev rule (SUBSYSTEM=="usb", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="0d10", GROUP="store-gateway", MODE="0660"; docs/devices.md, "USB HID scanners"), or another program holds the scanner (cannot open device with path /dev/hidraw2: hid_error is not implemented yet)',
  },
];

for (const c of openFailures)
  t.test(`an open refused: ${c.says}`, async (t) => {
    const hid = fakeNodeHid({ openFails: new Error(c.error) });
    await t.rejects(nodeHidTransport({ driver: c.driver, load: async () => hid }).open(newlandInfo), {
      message: c.message,
    });
  });

t.test("an open device passes node-hid's reports on and its error once, as an Error", async (t) => {
  const hid = fakeNodeHid();
  const handle = await nodeHidTransport({ load: async () => hid }).open(newlandInfo);
  const device = hid.opened[0] as FakeHidAsync;
  t.equal(device.listenerCount('data'), 0, 'not read until someone listens');
  const reports: Uint8Array[] = [];
  const errors: Error[] = [];
  handle.onReport((r) => reports.push(r));
  handle.onError((e) => errors.push(e));
  device.emit('data', Buffer.from([2, 1, 0x41]));
  t.same(reports, [Buffer.from([2, 1, 0x41])]);
  device.emit(
    'error',
    'could not read from HID device: hid_read_timeout: unexpected poll error (device disconnected)',
  );
  device.emit('error', 'could not read from HID device');
  t.equal(errors.length, 1, 'said once');
  t.ok(errors[0] instanceof Error);
  t.match(errors[0]?.message, /^could not read from HID device: hid_read_timeout/);
  await handle.close();
  t.equal(device.closes, 1, 'closed');
});

t.test('an error before anyone listens is kept for the first listener, not thrown', async (t) => {
  const hid = fakeNodeHid();
  const handle = await nodeHidTransport({ load: async () => hid }).open(newlandInfo);
  const device = hid.opened[0] as FakeHidAsync;
  t.doesNotThrow(() => device.emit('error', new Error('could not read from HID device')));
  const errors: string[] = [];
  handle.onError((e) => errors.push(e.message));
  t.same(errors, ['could not read from HID device']);
});

t.test('closing closes node-hid once, never rejects, and hears no more errors', async (t) => {
  const hid = fakeNodeHid();
  const handle = await nodeHidTransport({ load: async () => hid }).open(newlandInfo);
  const device = hid.opened[0] as FakeHidAsync;
  const errors: Error[] = [];
  handle.onError((e) => errors.push(e));
  device.closeFails = true;
  await handle.close();
  await handle.close();
  t.equal(device.closes, 1);
  device.emit('error', 'could not read from HID device');
  t.same(errors, []);
});

// From here on the real node-hid is loaded into this process.

// .ci/run installs libudev1 and libusb-1.0-0, so the real package must load here.
t.test('the real node-hid loads when first asked and lists the HID devices', async (t) => {
  const transport = nodeHidTransport();
  t.same(loadedNodeHid(), [], 'not loaded before');
  const devices = await transport.devices();
  t.ok(Array.isArray(devices), `listed ${devices.length} HID devices`);
  for (const d of devices) t.type(d.path, 'string');
  t.ok(loadedNodeHid().length > 0, 'node-hid is loaded now');
});

t.test('the real node-hid, opening a hidraw device that is not there: gone', async (t) => {
  const transport = nodeHidTransport();
  const missing: HidDeviceInfo = { path: '/dev/hidraw-not-there', vendorId: 0x1eab, productId: 0x0d10 };
  await t.rejects(transport.open(missing), {
    message: /^\/dev\/hidraw-not-there is gone: the scanner was unplugged after it was listed/,
  });
});
