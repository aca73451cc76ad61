// Which probe a configured camera gets, and the waits it is given.
import t from 'tap';
import { camera } from '../../src/config/cameras.js';
import { HttpSnapshotProbe } from '../../src/drivers/camera/http-snapshot.js';
import { openCameraProbe } from '../../src/drivers/camera/probes.js';
import { RtspProbe } from '../../src/drivers/camera/rtsp.js';
import { TcpProbe } from '../../src/drivers/camera/tcp.js';
import { systemClock } from '../../src/system/clock.js';

t.test('each driver gets its probe; a simulated camera has no real one', async (t) => {
  const made = (config: object) => openCameraProbe(camera.parse({ id: 'cam-1', ...config }), systemClock);
  t.type(made({ driver: 'rtsp', url: 'rtsp://10.0.0.21/Streaming/Channels/102' }), RtspProbe);
  t.type(made({ driver: 'http', url: 'http://10.0.0.21/snapshot.jpg' }), HttpSnapshotProbe);
  t.type(made({ driver: 'tcp', url: 'tcp://10.0.0.21:554' }), TcpProbe);
  t.throws(() => made({ driver: 'sim' }), { message: 'a sim camera without a URL has no real probe' });
});

t.test('a camera that refuses the connection is down for a reason naming only where it is', async (t) => {
  const probe = openCameraProbe(
    camera.parse({ id: 'cam-1', driver: 'tcp', url: 'tcp://admin:Hunter2@127.0.0.1:1', timeoutMs: 2000 }),
    systemClock,
  );
  const result = await probe.probe();
  t.match(result, { ok: false, reason: /127\.0\.0\.1:1/ });
  t.notOk(JSON.stringify(result).includes('Hunter2'));
  await probe.close();
});
