// Camera health end to end: the hub's Devices probing a real RTSP camera (GStreamer's server serving
// the store clip) in real time. Pulled power is offline after the grace and online again after two
// good probes, with the outage reported; a stream that has slowed to a crawl is degraded; the shelf
// the camera covers loses its coverage meanwhile; and a password in a camera URL shows nowhere.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import type { CameraOutage } from '../../src/machines/camera-health.js';
import { Devices } from '../../src/machines/devices.js';
import type { DeviceStatusData } from '../../src/machines/status.js';
import { until } from '../helpers/daemon.js';
import { captureLog } from '../helpers/log-capture.js';
import { startRtspCamera } from '../helpers/rtsp-server.js';

t.test(
  'cameras probed over RTSP: offline when the camera dies, online again with the outage reported, slow is degraded, passwords never shown',
  async (t) => {
    const camera = await startRtspCamera(t, 'digest');
    const dir = t.testdir();
    writeFileSync(
      join(dir, 'store.yaml'),
      `hub: { id: hub-1, storeId: store-1 }
upstream: { url: "wss://cloud.example.com/hub" }
devices:
  shelves:
    - { id: shelf-a1, driver: sim, plates: 2, cameras: [cam-aisle], planogram: [] }
  cameras:
    - { id: cam-aisle, driver: rtsp, url: "${camera.url('/auth', 'technician:s3cret')}", intervalSeconds: 1, playMs: 1000, timeoutMs: 3000 }
    - { id: cam-slow, driver: rtsp, url: "${camera.url('/slow')}", intervalSeconds: 1, playMs: 1500, timeoutMs: 4000 }
sim: { faultEverySeconds: 0, shoppersEverySeconds: 0 }
cameraHealth: { concurrentProbes: 2 }
`,
    );
    const config = loadConfig(join(dir, 'store.yaml'), { STORE_GATEWAY_UPSTREAM_TOKEN: 'x' });
    const captured = captureLog();
    const statuses: DeviceStatusData[] = [];
    const outages: Required<CameraOutage>[] = [];
    const devices = new Devices(config, captured.log, (s) => statuses.push(s), {
      onOutage: (o) => outages.push(o),
    });
    t.teardown(() => devices.stop());
    await devices.start();
    const status = (id: string) => devices.status(id)?.status;

    await until(() => status('cam-aisle') === 'online', 20_000, 'cam-aisle online');
    t.equal(devices.coverage('shelf-a1'), 'full', 'its shelf is fully covered');
    await until(() => status('cam-slow') === 'degraded', 20_000, 'cam-slow degraded');
    t.match(devices.status('cam-slow'), { reason: 'frame rate below 5 fps' });

    // The camera's power is cut. (A busy machine may have seen it stutter while its stream started:
    // only what happens from here on is this outage.)
    const cut = Date.now();
    const since = (o: { deviceId: string; from: number }) => o.deviceId === 'cam-aisle' && o.from >= cut;
    await camera.stop();
    await until(() => status('cam-aisle') === 'offline', 20_000, 'cam-aisle offline');
    t.match(devices.status('cam-aisle'), { reason: /refused/ });
    t.equal(devices.coverage('shelf-a1'), 'none', 'the shelf is seen by no camera now');
    t.same(outages.filter(since), [], 'no outage reported while it lasts');

    await camera.restart();
    await until(() => status('cam-aisle') === 'online', 30_000, 'cam-aisle online again');
    const outage = outages.find(since);
    t.ok(outage, 'the outage reported once over');
    t.equal(outages.filter(since).length, 1, 'once');
    t.equal(outage?.worst, 'offline');
    t.ok((outage?.to ?? 0) > (outage?.from ?? 0), `it lasted ${(outage?.to ?? 0) - (outage?.from ?? 0)} ms`);
    const aisle = statuses.filter((s) => s.deviceId === 'cam-aisle').map((s) => s.status);
    t.same(aisle.at(-1), 'online');
    t.ok(aisle.includes('offline'), `went ${aisle.join(' → ')}`);

    const view = devices.cameras().find((c) => c.deviceId === 'cam-aisle');
    t.ok((view?.last?.fps ?? 0) > 5, `diagnostics see its frame rate: ${view?.last?.fps} fps`);
    t.ok(
      view?.outages.some((o) => o.from >= cut && o.worst === 'offline'),
      'and its outage',
    );
    t.ok((view?.probes ?? 0) >= 5, `${view?.probes} probes`);

    await devices.stop();
    const everything =
      JSON.stringify(devices.cameras()) +
      JSON.stringify(statuses) +
      JSON.stringify(outages) +
      captured.text();
    t.notOk(
      everything.includes('s3cret'),
      'the password is in no status, outage, diagnostics view or log line',
    );
  },
);
