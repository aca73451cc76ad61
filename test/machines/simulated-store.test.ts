// The simulated store wired the way the composition root wires it: every streaming device behind a
// device-link actor, every camera behind a camera-health actor, and `status` emits becoming
// device.status events.
import t from 'tap';
import { camera } from '../../src/config/cameras.js';
import type { Config } from '../../src/config/schema.js';
import type { SampleBatch } from '../../src/drivers/weight/port.js';
import {
  closeDevice,
  createCameraHealthActor,
  createDeviceLinkActor,
  type DeviceStatusData,
} from '../../src/machines/index.js';
import { type Fault, SimStore } from '../../src/sim/index.js';
import { defaultBackoff } from '../../src/system/backoff.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { Random } from '../../src/system/random.js';

const simCamera = (id: string) => camera.parse({ id, driver: 'sim' });

const devices: Config['devices'] = {
  gates: [{ id: 'gate-in', role: 'entry', driver: 'sim', profile: 'gate-swing' }],
  scanners: [{ id: 'qr-in', kind: 'qr', gateId: 'gate-in', driver: 'sim' }],
  buses: [],
  shelves: [
    { id: 'shelf-a1', driver: 'sim', plates: 4, sampleRateHz: 40, cameras: ['cam-a'], planogram: [] },
  ],
  cameras: [simCamera('cam-a')],
};

t.test('device.status events flow from the simulated store, faults and recoveries included', async (t) => {
  const clock = new FakeClock();
  const sim = new SimStore(
    devices,
    {
      seed: 7,
      faultEverySeconds: 30,
      faultDurationSeconds: 4,
      shoppersEverySeconds: 0,
      plateFaults: false,
      gateShoppersEverySeconds: 0,
      fireDrillEveryMinutes: 0,
    },
    clock,
    silentLogger(),
  );
  const events: (DeviceStatusData & { at: number })[] = [];
  const record = ({ type: _, ...data }: DeviceStatusData & { type: 'status' }) =>
    events.push({ ...data, at: clock.now() });
  const faults: Fault[] = [];
  sim.onFault((f) => faults.push(f));
  let samples = 0;
  // The links' retry jitter is seeded too, so a run is the same run on every machine.
  const jitter = new Random(11);
  const random = () => jitter.next();

  const actors = [
    createDeviceLinkActor(
      { deviceId: 'qr-in', deviceKind: 'scanner', link: sim.scanner('qr-in'), onData: () => {}, random },
      clock,
    ),
    createDeviceLinkActor(
      {
        deviceId: 'shelf-a1',
        deviceKind: 'shelf',
        link: sim.shelf('shelf-a1'),
        onData: (batch: SampleBatch) => {
          samples += batch.values.length / batch.channels;
        },
        random,
      },
      clock,
    ),
  ];
  // Probed every second: the simulated faults last seconds, a real camera's outages longer.
  const camera = createCameraHealthActor(
    { deviceId: 'cam-a', probe: sim.camera('cam-a'), intervalMs: 1000 },
    clock,
  );
  camera.on('status', record);
  camera.start();
  for (const actor of actors) {
    actor.on('status', record);
    actor.start();
  }
  sim.start();
  const halfHour = 30 * 60_000;
  await clock.advanceAsync(halfHour);

  t.ok(faults.length > 20, `${faults.length} faults in half an hour`);
  t.same(
    events
      .slice(0, 3)
      .map((e) => `${e.deviceId} ${e.status}`)
      .sort(),
    ['cam-a online', 'qr-in online', 'shelf-a1 online'],
    'every device reports online at start',
  );
  for (const fault of faults.filter((f) => f.deviceKind !== 'camera')) {
    // Either it went down at that instant, or it was still down from the fault before (no new event).
    const last = events.findLast((e) => e.deviceId === fault.deviceId && e.at <= fault.at);
    t.match(last, { status: 'offline', reason: fault.reason }, `${fault.kind} on ${fault.deviceId} at once`);
    // Back once the fault is over and the link's next retry (at most maxMs away) has come, if the
    // half hour lasted that long.
    if (fault.at + fault.durationMs + defaultBackoff.maxMs > halfHour) continue;
    const up = events.find((e) => e.deviceId === fault.deviceId && e.at > fault.at && e.status === 'online');
    t.ok(up, `${fault.deviceId} back online`);
  }
  t.ok(
    events.some((e) => e.deviceId === 'cam-a' && e.status !== 'online'),
    'the camera was seen in trouble too',
  );
  // Every sample of the time the shelf was online reaches its consumer (a batch in flight at an
  // outage's edge may be lost: 5 % of slack); how long the outages last depends on the link's backoff.
  let online = 0;
  let since: number | undefined;
  for (const e of events.filter((e) => e.deviceId === 'shelf-a1')) {
    if (e.status === 'online' && since === undefined) since = e.at;
    if (e.status !== 'online' && since !== undefined) {
      online += e.at - since;
      since = undefined;
    }
  }
  if (since !== undefined) online += clock.now() - since;
  t.ok(online > 10 * 60_000, `the shelf was online ${Math.round(online / 1000)} s of the half hour`);
  t.ok(
    samples >= (online / 1000) * 40 * 0.95,
    `${samples} samples reached the shelf's consumer in ${Math.round(online / 1000)} s online at 40 Hz`,
  );

  await Promise.all([...actors, camera].map((actor) => closeDevice(actor)));
  sim.stop();
  t.equal(clock.pending, 0, 'nothing left running');
});
