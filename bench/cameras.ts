// What watching sixty-four cameras costs the hub: Devices, as the daemon composes it, probing 64 RTSP
// cameras every 10 s (a 1 s PLAY each, 8 at a time) against GStreamer's RTSP server serving the store
// clip. The CPU counted is this process's alone; the server runs in its own. Target: under 5 % of
// one core. Also printed: whether every camera really was probed every interval, and was online.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { Devices } from '../src/machines/devices.js';
import type { DeviceStatusData } from '../src/machines/status.js';
import { silentLogger } from '../src/system/log.js';
import { launchRtspCamera } from '../test/helpers/rtsp-server.js';

export interface CameraProbingCost {
  cameras: number;
  /** Percent of one core over the measured window. */
  cpuPercent: number;
  /** Probes ended per camera per 10 s over the window: 1 when every camera keeps its interval. */
  probesPerCameraPerInterval: number;
  /** Cameras online at the end. */
  online: number;
}

const CAMERAS = 64;
const INTERVAL_S = 10;
const WARM_UP_MS = 15_000;
const WINDOW_MS = 30_000;

export async function measureCameraProbing(): Promise<CameraProbingCost> {
  const server = await launchRtspCamera();
  const dir = mkdtempSync(join(tmpdir(), 'store-gateway-bench-cameras-'));
  try {
    const cameras = Array.from(
      { length: CAMERAS },
      (_, i) =>
        `    - { id: cam-${i}, driver: rtsp, url: "${server.url('/clip')}", intervalSeconds: ${INTERVAL_S}, playMs: 1000 }`,
    ).join('\n');
    writeFileSync(
      join(dir, 'store.yaml'),
      `hub: { id: hub-bench, storeId: store-bench }
upstream: { url: "wss://cloud.example.com/hub" }
devices:
  cameras:
${cameras}
cameraHealth: { concurrentProbes: 8 }
`,
    );
    const config = loadConfig(join(dir, 'store.yaml'), { STORE_GATEWAY_UPSTREAM_TOKEN: 'bench' });
    const statuses: DeviceStatusData[] = [];
    const devices = new Devices(config, silentLogger(), (s) => statuses.push(s));
    await devices.start();
    await new Promise((r) => setTimeout(r, WARM_UP_MS));
    const probed = () => devices.cameras().reduce((sum, c) => sum + c.probes, 0);
    const probesBefore = probed();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const probes = probed() - probesBefore;
    const online = devices
      .statuses()
      .filter((s) => s.deviceKind === 'camera' && s.status === 'online').length;
    await devices.stop();
    return {
      cameras: CAMERAS,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      probesPerCameraPerInterval: probes / CAMERAS / (elapsedMs / (INTERVAL_S * 1000)),
      online,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
