// What a camera's probes mean for its health, as pure functions. One probe is good, poor (answered,
// but too slow, too few frames, a frozen picture) or failed. Health moves with hysteresis: worse only
// after several probes in a row say so (one lost probe on a busy network is not an outage), better
// only after several good ones (a camera rebooting in a loop does not flap online and offline).
import type { CameraProbeResult } from '../drivers/camera/port.js';
import type { DeviceStatus } from './status.js';

/** What a camera must do to count as healthy. */
export interface CameraLimits {
  /** Fewer frames a second than this is too few to follow shoppers. */
  minFps: number;
  /** A camera slower than this to answer is struggling (overloaded, on a bad link). */
  maxLatencyMs: number;
  /** A stream whose first frame takes longer than this after PLAY is struggling. */
  maxFirstFrameMs: number;
  /** Less picture data than this (kilobits a second) is a black or frozen picture; 0 = no check. */
  minKbps: number;
}

/** How many probes in a row change a camera's health. */
export interface CameraHysteresis {
  /** Failed probes in a row before a camera is offline. */
  offlineAfter: number;
  /** Probes in a row short of good (poor or failed) before a camera is degraded. */
  degradedAfter: number;
  /** Good probes in a row before a camera counts as better again. */
  recoverAfter: number;
}

export type Verdict = { kind: 'good' } | { kind: 'poor' | 'failed'; reason: string };

/** Probes in a row of each sort, the last included. */
export interface Runs {
  good: number;
  /** Poor or failed. */
  short: number;
  failed: number;
  /** Good or poor: the camera answered. */
  answered: number;
}

export const noRuns: Runs = { good: 0, short: 0, failed: 0, answered: 0 };

const ONLINE_REASON = 'streaming';

/** One probe's verdict. Reasons stay the same while the trouble does, so they are said once. */
export function judge(result: CameraProbeResult, limits: CameraLimits): Verdict {
  if (!result.ok) return { kind: 'failed', reason: result.reason ?? 'probe failed' };
  if (result.frozen) return { kind: 'poor', reason: 'picture frozen: the same image probe after probe' };
  if (result.fps !== undefined && result.fps < limits.minFps)
    return { kind: 'poor', reason: `frame rate below ${limits.minFps} fps` };
  if (result.kbps !== undefined && limits.minKbps > 0 && result.kbps < limits.minKbps)
    return { kind: 'poor', reason: `stream below ${limits.minKbps} kbit/s: a black or frozen picture?` };
  if (result.latencyMs !== undefined && result.latencyMs > limits.maxLatencyMs)
    return { kind: 'poor', reason: `slow to answer: over ${limits.maxLatencyMs} ms` };
  if (result.firstFrameMs !== undefined && result.firstFrameMs > limits.maxFirstFrameMs)
    return { kind: 'poor', reason: `slow to stream: first frame after over ${limits.maxFirstFrameMs} ms` };
  return { kind: 'good' };
}

/** The runs after one more verdict. */
export function countRuns(runs: Runs, verdict: Verdict): Runs {
  const good = verdict.kind === 'good';
  const failed = verdict.kind === 'failed';
  return {
    good: good ? runs.good + 1 : 0,
    short: good ? 0 : runs.short + 1,
    failed: failed ? runs.failed + 1 : 0,
    answered: failed ? 0 : runs.answered + 1,
  };
}

/**
 * The health after a verdict, or undefined to stay as it is. `starting` (nothing judged yet) takes
 * the first good or poor verdict at once; failures at start still wait out the grace.
 */
export function nextHealth(
  current: DeviceStatus,
  starting: boolean,
  runs: Runs,
  verdict: Verdict,
  hysteresis: CameraHysteresis,
): { status: DeviceStatus; reason: string } | undefined {
  const trouble = verdict.kind === 'good' ? ONLINE_REASON : verdict.reason;
  if (runs.failed >= hysteresis.offlineAfter) return { status: 'offline', reason: trouble };
  if (starting) {
    if (verdict.kind === 'good') return { status: 'online', reason: ONLINE_REASON };
    if (verdict.kind === 'poor') return { status: 'degraded', reason: trouble };
    return undefined;
  }
  switch (current) {
    case 'online':
      return runs.short >= hysteresis.degradedAfter ? { status: 'degraded', reason: trouble } : undefined;
    case 'degraded':
      if (runs.good >= hysteresis.recoverAfter) return { status: 'online', reason: ONLINE_REASON };
      // Still degraded, maybe for another reason (the frame rate recovered, the picture froze).
      return verdict.kind === 'good' ? undefined : { status: 'degraded', reason: trouble };
    case 'offline':
      if (runs.good >= hysteresis.recoverAfter) return { status: 'online', reason: ONLINE_REASON };
      return runs.answered >= hysteresis.recoverAfter && verdict.kind === 'poor'
        ? { status: 'degraded', reason: trouble }
        : undefined;
  }
}
