import t from 'tap';
import { SimCamera } from '../../src/drivers/camera/sim.js';
import { Random } from '../../src/system/random.js';

t.test('a healthy camera answers at about 15 fps with a small latency', async (t) => {
  const camera = new SimCamera('cam-a', new Random(1));
  for (let i = 0; i < 20; i++) {
    const result = await camera.probe();
    t.equal(result.ok, true);
    t.ok(result.fps !== undefined && result.fps >= 14.5 && result.fps <= 15.5, `fps ${result.fps}`);
    t.ok(result.latencyMs !== undefined && result.latencyMs >= 20 && result.latencyMs <= 60);
  }
});

t.test('a failed camera says why; a degraded one shows its low frame rate; both recover', async (t) => {
  const camera = new SimCamera('cam-a', new Random(1));
  camera.fail('no frames: stream frozen');
  t.ok(camera.faulted);
  t.same(await camera.probe(), { ok: false, reason: 'no frames: stream frozen' });
  camera.recover();
  camera.degrade(0.5);
  t.match(await camera.probe(), { ok: true, fps: 0.5 });
  camera.recover();
  camera.freeze();
  t.ok(camera.faulted);
  t.match(await camera.probe(), { ok: true, frozen: true }, 'frozen: it answers, with the same picture');
  camera.recover();
  t.notOk(camera.faulted);
  t.notOk((await camera.probe()).frozen);
  t.match(await camera.probe(), { ok: true });
});

t.test('an aborted probe rejects; a closed camera is not ok', async (t) => {
  const camera = new SimCamera('cam-a', new Random(1));
  await t.rejects(camera.probe(AbortSignal.abort()));
  await camera.close();
  t.same(await camera.probe(), { ok: false, reason: 'probe closed' });
});
