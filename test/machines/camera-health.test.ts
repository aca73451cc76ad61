// The camera-health machine under fake time: grace before offline, hysteresis before online, the
// reasons a technician reads, outages kept and emitted, and the probes of many cameras sharing turns.
import t from 'tap';
import type { CameraProbe, CameraProbeResult } from '../../src/drivers/camera/port.js';
import { SimCamera } from '../../src/drivers/camera/sim.js';
import {
  type CameraHealthInput,
  type CameraOutage,
  closeDevice,
  createCameraHealthActor,
} from '../../src/machines/index.js';
import { FakeClock } from '../../src/system/clock.js';
import { Random } from '../../src/system/random.js';
import { Slots } from '../../src/system/slots.js';

function watchCamera(clock: FakeClock, probe: CameraProbe, options: Partial<CameraHealthInput> = {}) {
  const statuses: [string, string][] = [];
  const outages: CameraOutage[] = [];
  const actor = createCameraHealthActor({ deviceId: 'cam-aisle-a', probe, ...options }, clock);
  actor.on('status', ({ status, reason }) => statuses.push([status, reason]));
  actor.on('outage', ({ type: _, ...outage }) => outages.push(outage));
  actor.start();
  return { actor, statuses, outages };
}

/** A probe that answers what the test last set. */
function scriptedProbe(first: CameraProbeResult = { ok: true, fps: 10 }) {
  let answer = first;
  let probes = 0;
  return {
    set: (next: CameraProbeResult) => {
      answer = next;
    },
    get probes() {
      return probes;
    },
    probe: async () => {
      probes++;
      return answer;
    },
    close: async () => {},
  };
}

t.test(
  'a camera that misses probes stays online through the grace period, then goes offline, and needs two good probes to come back',
  async (t) => {
    const clock = new FakeClock();
    const camera = new SimCamera('cam-aisle-a', new Random(1));
    const { actor, statuses, outages } = watchCamera(clock, camera, { intervalMs: 5000 });
    await clock.advanceAsync(0);
    t.same(statuses, [['online', 'streaming']], 'probed at once on start, online at the first good probe');
    t.ok((actor.getSnapshot().context.last?.fps ?? 0) > 14, 'the frame rate is kept for diagnostics');

    camera.fail('connection refused by 10.0.0.21:554');
    await clock.advanceAsync(5000);
    const firstMiss = clock.now();
    t.equal(statuses.length, 1, 'one miss is not trouble');
    await clock.advanceAsync(5000);
    t.same(statuses.at(-1), ['degraded', 'connection refused by 10.0.0.21:554'], 'two in a row: degraded');
    await clock.advanceAsync(5000);
    t.same(statuses.at(-1), ['offline', 'connection refused by 10.0.0.21:554'], 'offline at the third');
    t.equal(
      actor.getSnapshot().context.outage?.from,
      firstMiss,
      'the outage is dated from the first miss, not from when the grace ran out',
    );
    await clock.advanceAsync(20_000);
    t.equal(statuses.length, 3, 'further misses say nothing new');

    camera.recover();
    await clock.advanceAsync(5000);
    const firstGood = clock.now();
    t.equal(statuses.at(-1)?.[0], 'offline', 'one good probe is not enough after an outage');
    await clock.advanceAsync(5000);
    t.same(statuses.at(-1), ['online', 'streaming'], 'two are');
    t.same(outages, [
      {
        deviceId: 'cam-aisle-a',
        from: firstMiss,
        to: firstGood,
        worst: 'offline',
        reason: 'connection refused by 10.0.0.21:554',
      },
    ]);
    t.same(actor.getSnapshot().context.outages, outages, 'and kept for diagnostics');
    t.equal(actor.getSnapshot().context.outage, undefined);
    actor.stop();
  },
);

t.test(
  'a stuttering camera is degraded, and a single good probe in between does not flap it online',
  async (t) => {
    const clock = new FakeClock();
    const probe = scriptedProbe();
    const { statuses, outages } = watchCamera(clock, probe, { intervalMs: 1000 });
    await clock.advanceAsync(0);
    probe.set({ ok: true, fps: 2.5 });
    await clock.advanceAsync(2000);
    t.same(statuses.at(-1), ['degraded', 'frame rate below 5 fps']);
    probe.set({ ok: true, fps: 10 });
    await clock.advanceAsync(1000);
    probe.set({ ok: true, fps: 3 });
    await clock.advanceAsync(1000);
    t.equal(statuses.length, 2, 'good once, poor again: still the same degradation, said once');
    probe.set({ ok: true, fps: 10 });
    await clock.advanceAsync(2000);
    t.same(statuses.at(-1), ['online', 'streaming']);
    t.match(outages, [{ worst: 'degraded', reason: 'frame rate below 5 fps' }]);
  },
);

t.test('each kind of poor picture has its own reason', async (t) => {
  const cases: [CameraProbeResult, string][] = [
    [{ ok: true, fps: 10, frozen: true }, 'picture frozen: the same image probe after probe'],
    [{ ok: true, fps: 10, kbps: 4 }, 'stream below 32 kbit/s: a black or frozen picture?'],
    [{ ok: true, latencyMs: 2600 }, 'slow to answer: over 2000 ms'],
    [{ ok: true, fps: 10, firstFrameMs: 4100 }, 'slow to stream: first frame after over 3000 ms'],
  ];
  for (const [result, reason] of cases) {
    const clock = new FakeClock();
    const probe = scriptedProbe(result);
    const { actor, statuses } = watchCamera(clock, probe, { limits: { minKbps: 32 } });
    await clock.advanceAsync(0);
    t.same(statuses, [['degraded', reason]], reason);
    actor.stop();
  }
  const clock = new FakeClock();
  const { actor, statuses } = watchCamera(clock, scriptedProbe({ ok: true, fps: 10, kbps: 4 }));
  await clock.advanceAsync(0);
  t.same(statuses, [['online', 'streaming']], 'no bitrate floor unless one is configured');
  actor.stop();
});

t.test('a camera that never comes up waits out the grace at start, then says why', async (t) => {
  const clock = new FakeClock();
  const probe = scriptedProbe({ ok: false, reason: 'RTSP DESCRIBE answered 401 Unauthorized' });
  const { statuses, outages } = watchCamera(clock, probe, { intervalMs: 1000 });
  await clock.advanceAsync(1000);
  t.same(statuses, [], 'two failures at start: still starting');
  await clock.advanceAsync(1000);
  t.same(statuses, [['offline', 'RTSP DESCRIBE answered 401 Unauthorized']]);
  probe.set({ ok: true, fps: 2 });
  await clock.advanceAsync(2000);
  t.same(statuses.at(-1), ['degraded', 'frame rate below 5 fps'], 'answering but poor: degraded, after two');
  probe.set({ ok: true, fps: 12 });
  await clock.advanceAsync(2000);
  t.same(statuses.at(-1), ['online', 'streaming']);
  t.match(outages, [{ worst: 'offline', reason: 'RTSP DESCRIBE answered 401 Unauthorized' }]);
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
  const { actor, statuses } = watchCamera(clock, hanging, {
    timeoutMs: 2000,
    intervalMs: 1000,
    hysteresis: { offlineAfter: 1 },
  });
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
  ];
  let n = 0;
  const probe: CameraProbe = {
    probe: () => (answers[n++] ?? (() => Promise.resolve({ ok: true })))(),
    close: async () => {
      throw new Error('close failed');
    },
  };
  const { actor, statuses } = watchCamera(clock, probe, {
    hysteresis: { offlineAfter: 1, recoverAfter: 1 },
    intervalMs: 1000,
  });
  await clock.advanceAsync(0);
  t.same(statuses, [['offline', 'connection refused']]);
  await clock.advanceAsync(1000);
  t.same(statuses.at(-1), ['offline', 'probe failed']);
  await clock.advanceAsync(1000);
  t.same(statuses.at(-1), ['online', 'streaming'], 'a probe without a frame rate is plainly online');
  await closeDevice(actor);
  t.equal(actor.getSnapshot().status, 'done', 'a close that fails still ends the actor');
});

t.test(
  'sixty-four cameras share four turns: never more than four probes at once, and every camera is probed',
  async (t) => {
    const clock = new FakeClock();
    const slots = new Slots(4);
    let running = 0;
    let most = 0;
    const probed = new Map<string, number>();
    const actors = Array.from({ length: 64 }, (_, i) => {
      const id = `cam-${i}`;
      const probe: CameraProbe = {
        probe: () =>
          new Promise((resolve) => {
            running++;
            most = Math.max(most, running);
            probed.set(id, (probed.get(id) ?? 0) + 1);
            // A 2 s PLAY window.
            clock.setTimeout(() => {
              running--;
              resolve({ ok: true, fps: 10 });
            }, 2000);
          }),
        close: async () => {},
      };
      const actor = createCameraHealthActor(
        {
          deviceId: id,
          probe,
          slots,
          intervalMs: 10_000,
          timeoutMs: 5000,
        },
        clock,
      );
      actor.start();
      return actor;
    });
    await clock.advanceAsync(120_000);
    t.equal(most, 4, 'four at most');
    t.equal(probed.size, 64, 'all probed');
    t.ok(
      actors.every((a) => a.getSnapshot().context.status === 'online'),
      'and none counted as failed for waiting its turn',
    );
    await Promise.all(actors.map((a) => closeDevice(a)));
    t.equal(slots.busy, 0, 'every turn given back');
    // The fake cameras' own streams end; nothing of the watches is left.
    await clock.advanceAsync(2000);
    t.equal(clock.pending, 0);
  },
);

t.test(
  'closing the camera watch closes the probe and reports it, even while it waits for a turn',
  async (t) => {
    const clock = new FakeClock();
    const camera = new SimCamera('cam-aisle-a', new Random(1));
    const slots = new Slots(1);
    const held = await slots.acquire();
    const { actor, statuses } = watchCamera(clock, camera, { slots });
    await clock.advanceAsync(0);
    t.equal(slots.waiting, 1, 'queued behind another camera');
    await closeDevice(actor);
    t.same(statuses.at(-1), ['offline', 'closed']);
    t.equal(slots.waiting, 0, 'it left the queue');
    t.same(await camera.probe(), { ok: false, reason: 'probe closed' });
    t.equal(clock.pending, 0, 'no probe left scheduled');
    held();
    t.equal(slots.busy, 0);
  },
);
