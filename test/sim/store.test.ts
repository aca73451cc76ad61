import t from 'tap';
import { camera } from '../../src/config/cameras.js';
import type { Config, SimConfig } from '../../src/config/schema.js';
import { type Fault, type SimBehaviour, SimStore } from '../../src/sim/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { captureLog } from '../helpers/log-capture.js';

const simCamera = (id: string) => camera.parse({ id, driver: 'sim' });

const devices: Config['devices'] = {
  buses: [],
  gates: [
    { id: 'gate-in', role: 'entry', driver: 'sim', profile: 'gate-swing' },
    { id: 'gate-out', role: 'exit', driver: 'sim', profile: 'gate-swing' },
  ],
  scanners: [
    { id: 'qr-in', kind: 'qr', gateId: 'gate-in', driver: 'sim' },
    { id: 'palm-in', kind: 'palm', gateId: 'gate-in', driver: 'sim' },
  ],
  shelves: [
    { id: 'shelf-a1', driver: 'sim', plates: 4, sampleRateHz: 40, cameras: ['cam-a'], planogram: [] },
    { id: 'shelf-b1', driver: 'sim', plates: 6, sampleRateHz: 40, cameras: ['cam-b'], planogram: [] },
  ],
  cameras: [simCamera('cam-a'), simCamera('cam-b')],
};

function faultsOver(seed: number, minutes: number, sim: Partial<SimConfig> = {}): Fault[] {
  const clock = new FakeClock();
  const store = new SimStore(
    devices,
    {
      seed,
      faultEverySeconds: 20,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
      ...sim,
    },
    clock,
    silentLogger(),
  );
  const faults: Fault[] = [];
  store.onFault((f) => faults.push(f));
  store.start();
  clock.advance(minutes * 60_000);
  store.stop();
  return faults;
}

t.test('the same seed gives the same fault sequence', (t) => {
  const a = faultsOver(7, 30);
  const b = faultsOver(7, 30);
  t.ok(a.length > 50, `${a.length} faults in 30 minutes at one per 20 s on average`);
  t.same(a, b);
  t.notSame(faultsOver(8, 30), a, 'another seed, another day');
  const kinds = new Set(a.map((f) => f.kind));
  t.same(
    [...kinds].sort(),
    ['adapter-re-enumerating', 'cable-kicked', 'camera-frozen', 'camera-offline', 'camera-stuttering'],
    'every kind of trouble shows up',
  );
  for (const f of a) if (f.durationMs < 2000 || f.durationMs > 6000) t.fail(`duration ${f.durationMs}`);
  t.end();
});

t.test('a kicked cable is plugged back in after the fault, and the store stops clean', async (t) => {
  const clock = new FakeClock();
  const store = new SimStore(
    devices,
    {
      seed: 3,
      faultEverySeconds: 10,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
    clock,
    silentLogger(),
  );
  const faults: Fault[] = [];
  const unsubscribe = store.onFault((f) => faults.push(f));
  await store.shelf('shelf-a1').open();
  store.start();
  store.start();
  store.faults.start();
  t.ok(store.running);
  while (!faults.some((f) => f.kind === 'cable-kicked')) clock.advance(100);
  const kicked = faults.find((f) => f.kind === 'cable-kicked') as Fault;
  const scanner = store.scanner(kicked.deviceId);
  t.notOk(scanner.isPluggedIn, `${kicked.deviceId} unplugged`);
  t.ok(store.faults.faulted.includes(kicked.deviceId));
  clock.advance(kicked.durationMs);
  t.ok(scanner.isPluggedIn, 'plugged back in after the fault');
  unsubscribe();

  while (store.faults.faulted.length === 0) clock.advance(100);
  store.stop();
  t.notOk(store.running);
  t.same(store.faults.faulted, [], 'stopping ends the faults under way');
  for (const id of ['qr-in', 'palm-in']) t.ok(store.scanner(id).isPluggedIn);
  for (const id of ['cam-a', 'cam-b']) t.notOk(store.camera(id).faulted);
  t.notOk(store.shelf('shelf-a1').isOpen, 'devices are closed');
  t.equal(clock.pending, 0, 'no timer of the sim is left');
  store.stop();
});

t.test('with faultEverySeconds 0, or without a sim section, nothing goes wrong by itself', (t) => {
  t.same(faultsOver(7, 60, { faultEverySeconds: 0 }), []);
  const clock = new FakeClock();
  const store = new SimStore(devices, undefined, clock, silentLogger());
  store.start();
  t.equal(clock.pending, 0);
  store.stop();
  t.end();
});

t.test('the store hands out each simulated device by id and refuses others', (t) => {
  const store = new SimStore(devices, undefined, new FakeClock(), silentLogger());
  t.equal(store.gpio('gate-in'), store.gpio('gate-in'), 'one chip per gate');
  t.not(store.gpio('gate-in'), store.gpio('gate-out'));
  t.equal(store.scanner('qr-in').id, 'qr-in');
  t.equal(store.shelf('shelf-b1').plates, 6);
  t.equal(store.shelf('shelf-b1').rateHz, 40);
  t.equal(store.camera('cam-b').id, 'cam-b');
  t.throws(() => store.gpio('qr-in'), /no simulated gate "qr-in"/);
  t.throws(() => store.scanner('nope'), /no simulated scanner/);
  t.throws(() => store.shelf('nope'), /no simulated shelf/);
  t.throws(() => store.camera('nope'), /no simulated camera/);
  t.end();
});

t.test('gate outputs fall to their safe level when the store stops', (t) => {
  const store = new SimStore(devices, undefined, new FakeClock(), silentLogger());
  const lock = store.gpio('gate-in').open({ name: 'lock', direction: 'out', safeLevel: 1 });
  lock.write(0);
  store.stop();
  t.equal(store.gpio('gate-in').level('lock'), 1);
  t.end();
});

t.test('behaviours start with the store, or at once when it already runs, and stop last-first', (t) => {
  const capture = captureLog();
  const store = new SimStore(
    devices,
    {
      seed: 1,
      faultEverySeconds: 0,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
    new FakeClock(),
    capture.log,
  );
  const calls: string[] = [];
  const behaviour = (name: string, failStop = false): SimBehaviour => ({
    name,
    start: () => calls.push(`start ${name}`),
    stop: () => {
      calls.push(`stop ${name}`);
      if (failStop) throw new Error('stuck');
    },
  });
  store.use(behaviour('shoppers', true));
  t.same(calls, [], 'nothing runs before start');
  store.start();
  store.use(behaviour('passages'));
  store.stop();
  t.same(calls, ['start shoppers', 'start passages', 'stop passages', 'stop shoppers']);
  const lines = capture.lines;
  t.ok(
    lines.some((l) => l.behaviour === 'shoppers' && l.msg === 'simulated behaviour failed to stop'),
    'a behaviour that fails to stop is logged and the rest still stop',
  );
  t.ok(lines.some((l) => l.msg === 'simulated store running' && l.seed === 1));
  t.end();
});

t.test('a fault turn passes when every device is already in trouble', (t) => {
  const clock = new FakeClock();
  const oneScanner: Config['devices'] = {
    buses: [],
    gates: [],
    scanners: [devices.scanners[0] as never],
    shelves: [],
    cameras: [],
  };
  const store = new SimStore(
    oneScanner,
    {
      seed: 5,
      faultEverySeconds: 1,
      faultDurationSeconds: 60,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
    clock,
    silentLogger(),
  );
  const faults: Fault[] = [];
  store.onFault((f) => faults.push(f));
  store.start();
  clock.advance(20_000);
  t.equal(faults.length, 1, 'one fault, on the only device, until it ends');
  store.stop();
  t.end();
});
