import t from 'tap';
import type { CameraProbe, CameraProbeResult } from '../../src/drivers/camera/port.js';
import { SimCamera } from '../../src/drivers/camera/sim.js';
import { type CameraHealthInput, closeDevice, createCameraHealthActor } from '../../src/machines/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { Random } from '../../src/system/random.js';

function watchCamera(clock: FakeClock, probe: CameraProbe, options: Partial<CameraHealthInput> = {}) {
  const statuses: [string, string][] = [];
  const actor = createCameraHealthActor({ deviceId: 'cam-aisle-a', probe, ...options }, clock);
  actor.on('status', ({ status, reason }) => statuses.push([status, reason]));
  actor.start();
  return { actor, statuses };
}

t.test(
  'a camera that misses probes stays online through the grace period and then goes offline',
  async (t) => {
    const clock = new FakeClock();
    const camera = new SimCamera('cam-aisle-a', new Random(1));
    const { actor, statuses } = watchCamera(clock, camera, { intervalMs: 5000, graceMisses: 3 });
    await clock.advanceAsync(0);
    t.same(statuses, [['online', 'streaming']], 'probed at once on start');
    t.ok((actor.getSnapshot().context.fps ?? 0) > 14, 'the frame rate is kept for diagnostics');

    camera.fail('no frames: stream frozen');
    await clock.advanceAsync(5000);
    t.equal(actor.getSnapshot().context.misses, 1);
    await clock.advanceAsync(5000);
    t.equal(actor.getSnapshot().context.status, 'online', 'still online after two misses');
    t.equal(statuses.length, 1);
    await clock.advanceAsync(5000);
    t.same(statuses.at(-1), ['offline', 'no frames: stream frozen'], 'offline at the third');
    await clock.advanceAsync(20_000);
    t.equal(statuses.length, 2, 'further misses say nothing new');

    camera.recover();
    await clock.advanceAsync(5000);
    t.same(statuses.at(-1), ['online', 'streaming'], 'one good probe brings it back');
    t.equal(actor.getSnapshot().context.misses, 0);
    actor.stop();
  },
);

t.test('a frozen camera (fps 0.5) is degraded', async (t) => {
  const clock = new FakeClock();
  const camera = new SimCamera('cam-aisle-a', new Random(1));
  const { actor, statuses } = watchCamera(clock, camera);
  await clock.advanceAsync(0);
  camera.degrade(0.5);
  await clock.advanceAsync(5000);
  t.same(statuses.at(-1), ['degraded', 'frame rate below 5 fps']);
  t.equal(actor.getSnapshot().context.fps, 0.5);
  camera.degrade(0.7);
  await clock.advanceAsync(5000);
  t.equal(statuses.length, 2, 'another low rate is the same degradation');
  camera.recover();
  await clock.advanceAsync(5000);
  t.same(statuses.at(-1), ['online', 'streaming']);
  actor.stop();
});

t.test('a probe that never answers is abandoned after the timeout and counts as a miss', async (t) => {
  const clock = new FakeClock();
  const signals: AbortSignal[] = [];
  const hanging: CameraProbe = {
    probe: (signal) => {
      if (signal) signals.push(signal);
      return new Promise(() => {});
    },
    close: async () => {},
  };
  const { actor, statuses } = watchCamera(clock, hanging, { timeoutMs: 2000, graceMisses: 1 });
  await clock.advanceAsync(1999);
  t.same(statuses, []);
  await clock.advanceAsync(1);
  t.same(statuses, [['offline', 'no answer within 2000 ms']]);
  t.ok(signals[0]?.aborted, 'the abandoned probe is told to stop');
  actor.stop();
});

t.test('a probe that throws, or fails without a reason, counts as a miss', async (t) => {
  const clock = new FakeClock();
  const answers: (() => Promise<CameraProbeResult>)[] = [
    () => Promise.reject(new Error('connection refused')),
    () => Promise.resolve({ ok: false }),
    () => Promise.resolve({ ok: true }),
  ];
  let n = 0;
  const probe: CameraProbe = {
    probe: () => (answers[n++] ?? (() => Promise.resolve({ ok: true })))(),
    close: async () => {
      throw new Error('close failed');
    },
  };
  const { actor, statuses } = watchCamera(clock, probe, { graceMisses: 1, intervalMs: 1000 });
  await clock.advanceAsync(0);
  t.same(statuses, [['offline', 'connection refused']]);
  await clock.advanceAsync(1000);
  t.same(statuses.at(-1), ['offline', 'probe failed']);
  await clock.advanceAsync(1000);
  t.same(statuses.at(-1), ['online', 'streaming'], 'a probe without a frame rate is plainly online');
  await closeDevice(actor);
  t.equal(actor.getSnapshot().status, 'done', 'a close that fails still ends the actor');
});

t.test('closing the camera watch closes the probe and reports it', async (t) => {
  const clock = new FakeClock();
  const camera = new SimCamera('cam-aisle-a', new Random(1));
  const { actor, statuses } = watchCamera(clock, camera);
  await clock.advanceAsync(0);
  const closing = closeDevice(actor);
  actor.send({ type: 'close' });
  await closing;
  t.same(statuses.at(-1), ['offline', 'closed']);
  t.same(await camera.probe(), { ok: false, reason: 'probe closed' });
  t.equal(clock.pending, 0, 'no probe left scheduled');
});
