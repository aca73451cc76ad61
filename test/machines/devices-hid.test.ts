// A USB HID scanner configured the way a technician would (driver hid, a model from devices/, the
// USB ids), started by Devices on a fake HID bus: its codes reach the gate, and a cable pulled and
// plugged back is offline at once and online within the presence period, whatever the backoff.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import type { Scan } from '../../src/drivers/scanner/port.js';
import { Devices } from '../../src/machines/devices.js';
import type { Gates } from '../../src/machines/gates.js';
import type { DeviceStatusData } from '../../src/machines/status.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { FakeHid } from '../helpers/fake-hid.js';
import { newlandPosReports } from '../helpers/hid-rig.js';

const newland = {
  path: '/dev/hidraw3',
  vendorId: 0x1eab,
  productId: 0x0d10,
  serialNumber: 'FM420-00172',
  usagePage: 0x8c,
};

t.test(
  'a HID POS scanner at the entry: scans reach the gate, and a pulled cable is back within a second',
  async (t) => {
    const dir = t.testdir();
    writeFileSync(
      join(dir, 'store.yaml'),
      `hub: { id: hub-1, storeId: store-1 }
upstream: { url: "wss://cloud.example.com/hub" }
devices:
  gates: [{ id: gate-in, role: entry, driver: sim, profile: gate-swing }]
  scanners:
    - { id: qr-in, kind: qr, gateId: gate-in, driver: hid, profile: hid-pos-newland-fm420, match: { serialNumber: FM420-00172 } }
sim: {}
`,
    );
    const config = loadConfig(join(dir, 'store.yaml'), { STORE_GATEWAY_UPSTREAM_TOKEN: 'x' });
    const clock = new FakeClock();
    const hid = new FakeHid([newland, { ...newland, path: '/dev/hidraw4', serialNumber: 'FM420-00999' }]);
    const scans: [string, string, string][] = [];
    const gates = {
      scan: (gateId: string, kind: string, scan: Scan) =>
        scans.push([gateId, kind, scan.credential.reveal()]),
      reportStatus: () => {},
      start: () => {},
      stop: () => {},
      failSafe: () => {},
    } as unknown as Gates;
    const statuses: DeviceStatusData[] = [];
    const devices = new Devices(config, silentLogger(), (s) => statuses.push(s), {
      clock,
      gates,
      hidTransport: hid,
    });
    await devices.start();
    await clock.advanceAsync(0);
    t.match(devices.status('qr-in'), { status: 'online' });
    t.equal(hid.opens('/dev/hidraw3'), 1, 'the scanner with that serial number, not its twin');
    t.equal(hid.opens('/dev/hidraw4'), 0);

    hid.send(newland.path, ...newlandPosReports('eyJhbGciOiJFZERTQSJ9.e30.c2ln'));
    t.same(
      scans,
      [['gate-in', 'qr', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln']],
      'the code reached the gate it stands at',
    );

    // Pulled: offline at once; left out long enough for the backoff to grow.
    hid.unplug(newland.path);
    t.match(devices.status('qr-in'), { status: 'offline' });
    await clock.advanceAsync(5 * 60_000);
    hid.replug(newland.path);
    await clock.advanceAsync(1000);
    t.match(devices.status('qr-in'), { status: 'online' }, 'online within the one-second presence period');
    hid.send(newland.path, ...newlandPosReports('second-code'));
    t.equal(scans.at(-1)?.[2], 'second-code', 'and reading again');
    const told = statuses.filter((s) => s.deviceId === 'qr-in');
    t.comment(told.map((s) => `${s.status}: ${s.reason}`).join(' | '));
    t.same(
      told.map((s) => s.status),
      ['online', 'offline', 'offline', 'online'],
      'online; offline, pulled, then retries finding nothing (said once); online',
    );
    t.match(told[1]?.reason, /unplugged/);
    t.match(told[2]?.reason, /FM420-00172/, 'the retries name the scanner they look for');

    // Pulled where the read just blocks: the next presence listing tells, within its second.
    hid.vanish(newland.path);
    await clock.advanceAsync(1000);
    t.match(
      devices.status('qr-in'),
      { status: 'offline', reason: 'unplugged: no longer on the system' },
      'offline within a second though no read failed',
    );
    await devices.stop();
  },
);
