// Picks the probe a configured camera is watched with. The probe's own waits are a little shorter
// than the health machine's timeout for the whole probe, so a camera that stalls at one step is
// reported with that step's reason ("no answer to RTSP DESCRIBE …") rather than a generic one.
import type { Clock } from '../../system/clock.js';
import { HttpSnapshotProbe } from './http-snapshot.js';
import type { CameraProbe } from './port.js';
import { RtspProbe } from './rtsp.js';
import { TcpProbe } from './tcp.js';

const MARGIN_MS = 100;

/** What a probe is made from: a camera's configuration, or the part of it that says how to probe. */
export interface CameraProbeSettings {
  driver: 'sim' | 'rtsp' | 'http' | 'tcp';
  url?: string | undefined;
  /** For the whole probe, as the health machine counts it. */
  timeoutMs: number;
  /** RTSP: how long frames are counted. */
  playMs: number;
}

/** The probe for a real camera (driver rtsp, http or tcp); throws, the URL masked, when it cannot make one. */
export function openCameraProbe(camera: CameraProbeSettings, clock: Clock): CameraProbe {
  const { driver, url, timeoutMs, playMs } = camera;
  if (driver === 'sim' || url === undefined)
    throw new Error(`a ${driver} camera without a URL has no real probe`);
  const inner = (spent: number) => Math.max(MARGIN_MS, timeoutMs - spent - MARGIN_MS);
  switch (driver) {
    case 'rtsp':
      return new RtspProbe(url, { playMs, timeoutMs: inner(playMs), clock });
    case 'http':
      return new HttpSnapshotProbe(url, { timeoutMs: inner(0), clock });
    case 'tcp':
      return new TcpProbe(url, { timeoutMs: inner(0), clock });
  }
}
