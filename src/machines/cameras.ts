// The hub's cameras as health watches, made from the configuration: each camera's probe (real or
// simulated), its limits and the hub's hysteresis, and one set of probe turns for them all. Devices
// starts them and reports their health like any device's.
import type { HubConfig } from '../config/load.js';
import { openCameraProbe } from '../drivers/camera/probes.js';
import type { SimStore } from '../sim/index.js';
import type { Clock } from '../system/clock.js';
import { Slots } from '../system/slots.js';
import {
  type CameraHealthActor,
  type CameraHealthContext,
  createCameraHealthActor,
} from './camera-health.js';

/** What diagnostics show of a camera: its health, probe count, last measures and outages. */
export type CameraView = Omit<CameraHealthContext, 'wiring' | 'runs'>;

export interface CameraWatch {
  deviceId: string;
  /** Makes the camera's health actor (not started); throws when its probe cannot be made. */
  make: () => CameraHealthActor;
}

/**
 * One health watch per camera. Their probes share `cameraHealth.concurrentProbes` turns; waiting for
 * a turn spreads the first round, and each camera's next probe is an interval after its last.
 */
export function cameraWatches(config: HubConfig, sim: SimStore | undefined, clock: Clock): CameraWatch[] {
  const slots = new Slots(config.cameraHealth.concurrentProbes);
  const { offlineAfter, degradedAfter, recoverAfter } = config.cameraHealth;
  return config.devices.cameras.map((c) => ({
    deviceId: c.id,
    make: () => {
      // The schema requires a sim section whenever a device uses it.
      const probe = c.driver === 'sim' ? sim?.camera(c.id) : openCameraProbe(c, clock);
      if (!probe) throw new Error('no simulated store');
      return createCameraHealthActor(
        {
          deviceId: c.id,
          probe,
          intervalMs: c.intervalSeconds * 1000,
          timeoutMs: c.timeoutMs,
          // Picked one by one: the camera's URL (and its credentials) stays out of the snapshot.
          limits: {
            minFps: c.minFps,
            maxLatencyMs: c.maxLatencyMs,
            maxFirstFrameMs: c.maxFirstFrameMs,
            minKbps: c.minKbps,
          },
          hysteresis: { offlineAfter, degradedAfter, recoverAfter },
          slots,
        },
        clock,
      );
    },
  }));
}

/** A camera as diagnostics see it: everything but the machine's wiring and counters. */
export function cameraView(actor: CameraHealthActor): CameraView {
  const { wiring: _wiring, runs: _runs, ...view } = actor.getSnapshot().context;
  return view;
}
