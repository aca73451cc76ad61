// The shelves of a hub at work on the simulated store, on a fake clock: samples to events with the
// cameras' coverage, health from the links, and the tare and calibration commands end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CommandHandler } from '../../src/commands/index.js';
import { registerShelfCommands } from '../../src/commands/shelves.js';
import { camera } from '../../src/config/cameras.js';
import type { HubConfig } from '../../src/config/load.js';
import { loadProfile } from '../../src/drivers/weight/profiles.js';
import { Devices, type ShelfReport } from '../../src/machines/devices.js';
import type { DeviceStatusData } from '../../src/machines/status.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { FakeSerial } from '../helpers/fake-serial.js';
import type { TestContext } from '../helpers/tap-types.js';

const simCamera = (id: string) => camera.parse({ id, driver: 'sim' });

function hub(dataDir: string): HubConfig {
  return {
    hub: { id: 'hub-1', storeId: 'store-1' },
    configPath: '/etc/store-gateway/store.yaml',
    dataDir,
    boardProfiles: new Map(),
    gateProfiles: new Map(),
    scannerProfiles: new Map(),
    hidProfiles: new Map(),
    upstream: {
      url: 'ws://127.0.0.1:1/hub',
      token: new Secret('x'),
      maxInFlight: 10,
      maxBufferedBytes: 1 << 20,
      maxFrameBytes: 1 << 20,
      pingIntervalMs: 5000,
      helloTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      rejectedRetryMs: 1000,
    },
    outbox: { maxEvents: 1000, commitIntervalMs: 2 },
    diagnostics: { listen: '127.0.0.1:8080', accounts: [], sessionMinutes: 480 },
    log: { level: 'info' },
    devices: {
      buses: [],
      gates: [],
      scanners: [],
      shelves: [
        {
          id: 'shelf-1',
          driver: 'sim',
          plates: 3,
          sampleRateHz: 40,
          cameras: ['cam-1', 'cam-2'],
          planogram: [
            { sku: 'cola-330', plates: [0] },
            { sku: 'water-500', plates: [1, 2] },
          ],
        },
      ],
      cameras: [simCamera('cam-1'), simCamera('cam-2')],
    },
    catalogue: {
      products: [
        { sku: 'cola-330', grams: 355, spreadGrams: 3 },
        { sku: 'water-500', grams: 538 },
      ],
    },
    credentials: { cloudTimeoutMs: 1500 },
    hid: { driver: 'hidraw' },
    cameraHealth: { concurrentProbes: 4, offlineAfter: 3, degradedAfter: 2, recoverAfter: 2 },
    store: { criticalDevices: [], closeWithoutCoverage: true, warmUpSeconds: 60 },
    sim: {
      seed: 5,
      faultEverySeconds: 0,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
  };
}

function start(t: TestContext, dataDir = t.testdir()) {
  const clock = new FakeClock();
  const statuses: DeviceStatusData[] = [];
  const reports: ShelfReport[] = [];
  const config = hub(dataDir);
  const devices = new Devices(config, silentLogger(), (s) => statuses.push(s), {
    clock,
    onShelf: (r) => reports.push(r),
  });
  const commands = new CommandHandler(() => {});
  registerShelfCommands(commands, devices.shelves);
  devices.start();
  t.teardown(() => devices.stop(50));
  const shelf = devices.sim?.shelf('shelf-1');
  if (!shelf) throw new Error('no simulated shelf');
  return { clock, statuses, reports, devices, commands, shelf, config };
}

t.test('a can lifted off a simulated shelf is a pick of that can, with the cameras’ coverage', async (t) => {
  const { clock, reports, shelf, statuses, devices } = start(t);
  await clock.advanceAsync(5000);
  t.match(
    statuses.find((s) => s.deviceId === 'shelf-1'),
    { status: 'online', reason: 'connected' },
  );
  shelf.lift(0, 355);
  await clock.advanceAsync(3000);
  t.equal(reports.length, 1);
  t.match(reports[0], {
    kind: 'shelf.pick',
    data: { shelfId: 'shelf-1', plates: [0], items: [{ sku: 'cola-330', qty: 1 }], coverage: 'full' },
  });
  // One camera freezes: once it is offline, the next pick is only partly covered.
  devices.sim?.camera('cam-2').fail('no frames: stream frozen');
  await clock.advanceAsync(60_000);
  t.match(statuses.filter((s) => s.deviceId === 'cam-2').at(-1), { status: 'offline' });
  shelf.lift(1, 538);
  await clock.advanceAsync(3000);
  t.match(reports[1], { kind: 'shelf.pick', data: { items: [{ sku: 'water-500' }], coverage: 'partial' } });
});

t.test(
  'shelf.tare zeroes the plates and shelf.calibrate learns a plate’s scale; both survive a restart',
  async (t) => {
    const dir = t.testdir();
    const { clock, commands, shelf, reports } = start(t, dir);
    await clock.advanceAsync(5000);
    const tared = await Promise.all([
      commands.handle('technician', 'shelf.tare', { shelfId: 'shelf-1' }),
      clock.advanceAsync(2000),
    ]);
    t.match(tared[0], { ok: true, result: { message: 'plates 0, 1, 2 of shelf-1 zeroed' } });
    // The technician places 1 kg on plate 2 after sending the command; it must not be reported as a put.
    const pending = commands.handle('technician', 'shelf.calibrate', {
      shelfId: 'shelf-1',
      plate: 2,
      grams: 1000,
    });
    await clock.advanceAsync(1000);
    shelf.place(2, 1000);
    await clock.advanceAsync(3000);
    const calibrated = await pending;
    t.match(calibrated, {
      ok: true,
      result: { message: /^plate 2 of shelf-1 calibrated: 1000 g now reads 1000 g/ },
    });
    t.same(reports, [], 'the test weight is not a put');
    const saved = JSON.parse(readFileSync(join(dir, 'calibration', 'shelf-1.json'), 'utf8'));
    t.equal(saved.plates.length, 3);
    t.ok(
      Math.abs(saved.plates[2].slope - 1) < 0.01,
      `a simulated plate reads grams already (${saved.plates[2].slope})`,
    );
    t.ok(Math.abs(saved.plates[0].offset - shelf.grams(0)) < 2, 'plate 0 zeroed at its load');
  },
);

t.test('commands for a shelf the hub lacks, or while it moves, are refused with the reason', async (t) => {
  const { clock, commands, shelf } = start(t);
  await clock.advanceAsync(5000);
  t.match(await commands.handle('cloud', 'shelf.tare', { shelfId: 'nope' }), {
    ok: false,
    error: { code: 'unknown_shelf' },
  });
  t.match(await commands.handle('cloud', 'shelf.calibrate', { shelfId: 'shelf-1', plate: 0, grams: -5 }), {
    ok: false,
    error: { code: 'bad_args' },
  });
  shelf.press([0, 1], 800, 1500);
  await clock.advanceAsync(300);
  t.match(await commands.handle('cloud', 'shelf.tare', { shelfId: 'shelf-1', plates: [0] }), {
    ok: false,
    error: { code: 'not_done', message: /moving/ },
  });
});

t.test(
  'a pulled shelf cable takes the shelf offline with the reason, and back when it returns',
  async (t) => {
    const { clock, statuses, shelf } = start(t);
    await clock.advanceAsync(2000);
    shelf.unplug('USB-RS485 adapter re-enumerating');
    await clock.advanceAsync(100);
    t.match(statuses.filter((s) => s.deviceId === 'shelf-1').at(-1), {
      status: 'offline',
      reason: 'USB-RS485 adapter re-enumerating',
    });
    shelf.plugIn();
    await clock.advanceAsync(30_000);
    t.match(statuses.filter((s) => s.deviceId === 'shelf-1').at(-1), { status: 'online' });
  },
);

t.test(
  'shelf.zero sends each board of a serial shelf its own zero command; a simulated shelf has none',
  async (t) => {
    const clock = new FakeClock();
    const config = hub(t.testdir());
    const port = new FakeSerial();
    const profile = loadProfile(
      join(import.meta.dirname, '..', '..', 'devices', 'ascii-stream-grams-12ch.yaml'),
    );
    const withBus: HubConfig = {
      ...config,
      boardProfiles: new Map([['hx-1', profile]]),
      devices: {
        ...config.devices,
        buses: [
          { id: 'hx', port: '/dev/fake', profile: 'ascii-stream-grams-12ch', boards: [{ id: 'hx-1' }] },
        ],
        shelves: [
          ...config.devices.shelves,
          {
            id: 'shelf-2',
            driver: 'serial',
            plates: 2,
            sampleRateHz: 40,
            wiring: [{ board: 'hx-1', channels: [0, 1] }],
            cameras: [],
            planogram: [],
          },
        ],
      },
    };
    const devices = new Devices(withBus, silentLogger(), () => {}, { clock, openSerial: () => port });
    const commands = new CommandHandler(() => {});
    registerShelfCommands(commands, devices.shelves);
    devices.start();
    t.teardown(() => devices.stop(50));
    await clock.advanceAsync(1000);
    t.same(await commands.handle('cloud', 'shelf.zero', { shelfId: 'shelf-2' }), {
      ok: true,
      result: { message: 'boards hx-1 of shelf-2 zeroed' },
    });
    t.same(port.written, ['TARE\r\n'], "the profile's zero command, as written");
    const report = devices.shelves.report();
    t.match(
      report.shelves.find((r) => r.shelfId === 'shelf-2'),
      {
        calibration: [
          { slope: 1, offset: 0 },
          { slope: 1, offset: 0 },
        ],
      },
      'hub.status shows the calibration in force: a grams board starts at 1 g per reading',
    );
    t.match(report.buses, [{ busId: 'hx', frames: 0, malformed: 0 }]);
    t.match(await commands.handle('cloud', 'shelf.zero', { shelfId: 'shelf-1' }), {
      ok: false,
      error: {
        code: 'not_done',
        message: 'board shelf-1 of shelf-1 is simulated or not on a bus: use shelf.tare',
      },
    });
    t.match(await commands.handle('cloud', 'shelf.zero', { shelfId: 'nope' }), {
      ok: false,
      error: { code: 'unknown_shelf' },
    });
    t.match(await commands.handle('cloud', 'shelf.tare', { shelfId: 'shelf-2', plates: [1, 1] }), {
      ok: false,
      error: { code: 'bad_args', message: /each plate once/ },
    });
  },
);
