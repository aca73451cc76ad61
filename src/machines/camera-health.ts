// A camera's health, learnt by probing it every so often: online, degraded when its frame rate is
// too low to track shoppers, offline only after several probes in a row fail (one lost probe on a
// busy network is not an outage). The probe is an actor; its timeout and the interval are delays,
// so the clock given to createActor controls them.
import { createActor, enqueueActions, fromPromise, setup } from 'xstate';
import type { CameraProbe, CameraProbeResult } from '../drivers/camera/port.js';
import type { Clock } from '../system/clock.js';
import {
  type DeviceHealth,
  type DeviceStatus,
  reasonOf,
  STARTING,
  type StatusEmitted,
  statusChange,
} from './status.js';

export interface CameraHealthInput {
  deviceId: string;
  probe: CameraProbe;
  /** Gives `since` its time; pass the same clock as `createActor(…, { clock })`. */
  clock: Pick<Clock, 'now'>;
  /** Pause between the end of one probe and the start of the next. Default 5000. */
  intervalMs?: number;
  /** A probe that has not answered by then counts as failed. Default 3000. */
  timeoutMs?: number;
  /** Below this frame rate the camera is degraded. Default 5. */
  minFps?: number;
  /** Failed probes in a row before the camera counts as offline. Default 3. */
  graceMisses?: number;
}

interface Settings {
  probe: CameraProbe;
  now: () => number;
  intervalMs: number;
  timeoutMs: number;
  minFps: number;
  graceMisses: number;
}

export interface CameraHealthContext extends DeviceHealth {
  /** Failed probes in a row. */
  misses: number;
  /** From the last good probe, for diagnostics. */
  fps: number | undefined;
  latencyMs: number | undefined;
  wiring: Settings;
}

export type CameraHealthEvent = { type: 'close' };

const ONLINE_REASON = 'streaming';
const CLOSED_REASON = 'closed';

export const cameraHealthMachine = setup({
  types: {
    context: {} as CameraHealthContext,
    input: {} as CameraHealthInput,
    events: {} as CameraHealthEvent,
    emitted: {} as StatusEmitted,
  },
  actors: {
    probe: fromPromise<CameraProbeResult, CameraProbe>(({ input, signal }) => input.probe(signal)),
    close: fromPromise<void, CameraProbe>(async ({ input }) => {
      await input.close();
    }),
  },
  delays: {
    interval: ({ context }) => context.wiring.intervalMs,
    probeTimeout: ({ context }) => context.wiring.timeoutMs,
  },
  actions: {
    report: enqueueActions(({ context, enqueue }, params: { status: DeviceStatus; reason: string }) => {
      const change = statusChange(context, params.status, params.reason, context.wiring.now());
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
    }),
    record: enqueueActions(({ context, enqueue }, result: CameraProbeResult) => {
      const { patch, status, reason } = assess(context, result);
      enqueue.assign(patch);
      const change = status && statusChange(context, status, reason, context.wiring.now());
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
    }),
  },
}).createMachine({
  id: 'cameraHealth',
  context: ({ input }) => ({
    deviceId: input.deviceId,
    deviceKind: 'camera',
    status: 'offline',
    reason: STARTING,
    since: input.clock.now(),
    misses: 0,
    fps: undefined,
    latencyMs: undefined,
    wiring: {
      probe: input.probe,
      now: () => input.clock.now(),
      intervalMs: input.intervalMs ?? 5000,
      timeoutMs: input.timeoutMs ?? 3000,
      minFps: input.minFps ?? 5,
      graceMisses: Math.max(1, input.graceMisses ?? 3),
    },
  }),
  initial: 'probing',
  on: { close: '.closing' },
  states: {
    probing: {
      invoke: {
        src: 'probe',
        input: ({ context }) => context.wiring.probe,
        onDone: { target: 'waiting', actions: { type: 'record', params: ({ event }) => event.output } },
        onError: {
          target: 'waiting',
          actions: { type: 'record', params: ({ event }) => failed(reasonOf(event.error)) },
        },
      },
      after: {
        probeTimeout: {
          target: 'waiting',
          actions: {
            type: 'record',
            params: ({ context }) => failed(`no answer within ${context.wiring.timeoutMs} ms`),
          },
        },
      },
    },
    waiting: { after: { interval: 'probing' } },
    closing: {
      entry: { type: 'report', params: { status: 'offline', reason: CLOSED_REASON } },
      invoke: {
        src: 'close',
        input: ({ context }) => context.wiring.probe,
        onDone: 'closed',
        onError: 'closed',
      },
      on: { close: {} },
    },
    closed: { type: 'final' },
  },
});

const failed = (reason: string): CameraProbeResult => ({ ok: false, reason });

/**
 * What one probe's outcome means: a good probe clears the misses and judges the frame rate; a failed
 * one counts, and takes the camera offline only once the misses use up the grace.
 */
function assess(
  context: CameraHealthContext,
  result: CameraProbeResult,
): { patch: Partial<CameraHealthContext>; status?: DeviceStatus; reason: string } {
  const { minFps, graceMisses } = context.wiring;
  if (!result.ok) {
    const misses = context.misses + 1;
    const reason = result.reason ?? 'probe failed';
    return misses >= graceMisses
      ? { patch: { misses }, status: 'offline', reason }
      : { patch: { misses }, reason };
  }
  const patch = { misses: 0, fps: result.fps, latencyMs: result.latencyMs };
  if (result.fps !== undefined && result.fps < minFps)
    return { patch, status: 'degraded', reason: `frame rate below ${minFps} fps` };
  return { patch, status: 'online', reason: ONLINE_REASON };
}

/** Creates (does not start) a camera-health actor whose timers run on `clock`. */
export function createCameraHealthActor(input: Omit<CameraHealthInput, 'clock'>, clock: Clock) {
  return createActor(cameraHealthMachine, { input: { ...input, clock }, clock });
}

export type CameraHealthActor = ReturnType<typeof createCameraHealthActor>;
