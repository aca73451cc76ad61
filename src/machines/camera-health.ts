// A camera's health, learnt by probing it every so often (camera-judgement.ts says what each probe
// means). Probes of all the hub's cameras share a few turns (Slots), so sixty-four cameras never pull
// sixty-four streams at once. Each time the camera falls short of online an outage opens; when it is online
// again the outage closes and is emitted as `outage`, and the last few are kept for diagnostics.
//
//   probing (takes a turn, then probes with a timeout) ─▶ waiting ─rest of the interval─▶ probing
//   close (from anywhere) ─▶ closing ─▶ closed (final)
import { assign, createActor, enqueueActions, fromPromise, setup } from 'xstate';
import type { CameraProbe, CameraProbeResult } from '../drivers/camera/port.js';
import type { Clock } from '../system/clock.js';
import { Slots } from '../system/slots.js';
import {
  type CameraHysteresis,
  type CameraLimits,
  countRuns,
  judge,
  nextHealth,
  noRuns,
  type Runs,
} from './camera-judgement.js';
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
  /** Gives `since` its time and times the probes; pass the same clock as `createActor(…, { clock })`. */
  clock: Clock;
  /** From the start of one probe (its wait for a turn included) to the start of the next. Default 10 000. */
  intervalMs?: number;
  /** A probe that has not answered this long after it got its turn counts as failed. Default 5000. */
  timeoutMs?: number;
  limits?: Partial<CameraLimits>;
  hysteresis?: Partial<CameraHysteresis>;
  /** Turns shared with the other cameras' probes; by default the camera has its own. */
  slots?: Slots;
  /** Outages kept for diagnostics. Default 20. */
  outagesKept?: number;
}

/** A time the camera was not plainly online, from leaving online to being online again. */
export interface CameraOutage {
  deviceId: string;
  /** Milliseconds since the epoch. */
  from: number;
  /** Undefined while the outage lasts. */
  to?: number;
  /** The worst it got. */
  worst: Exclude<DeviceStatus, 'online'>;
  /** The first reason given. */
  reason: string;
}

export type OutageEmitted = { type: 'outage' } & Required<CameraOutage>;

interface Wiring {
  probe: CameraProbe;
  clock: Clock;
  intervalMs: number;
  timeoutMs: number;
  limits: CameraLimits;
  hysteresis: CameraHysteresis;
  slots: Slots;
  outagesKept: number;
}

export interface CameraHealthContext extends DeviceHealth {
  runs: Runs;
  /** When the current run of probes short of good began (the end of its first probe); undefined while good. */
  troubleSince: number | undefined;
  /** When the current run of good probes began; undefined while in trouble. */
  goodSince: number | undefined;
  probes: number;
  /** When the probe under way (or the last one) began, waiting for its turn included. */
  startedAt: number;
  /** The last probe's measures and when it ended, for diagnostics. */
  last: (CameraProbeResult & { at: number }) | undefined;
  /** The outage under way, if any. */
  outage: CameraOutage | undefined;
  /** The last ones over, oldest first. */
  outages: CameraOutage[];
  wiring: Wiring;
}

export type CameraHealthEvent = { type: 'close' };

const CLOSED_REASON = 'closed';

const defaultLimits: CameraLimits = { minFps: 5, maxLatencyMs: 2000, maxFirstFrameMs: 3000, minKbps: 0 };
const defaultHysteresis: CameraHysteresis = { offlineAfter: 3, degradedAfter: 2, recoverAfter: 2 };

/** Waits for a turn, then probes; a probe still out after `timeoutMs` is aborted and counts as failed. */
async function probeInTurn(wiring: Wiring, signal: AbortSignal): Promise<CameraProbeResult> {
  const release = await wiring.slots.acquire(signal);
  // Closed in the very turn the turn came: give it back rather than probe for nobody.
  if (signal.aborted) {
    release();
    throw signal.reason;
  }
  const stop = new AbortController();
  const abort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  let timer: unknown;
  try {
    // Settled by the probe, the timeout or the abort, whichever comes first: a probe that ignores its
    // signal must not keep the turn.
    const timedOut = new Promise<CameraProbeResult>((resolve, reject) => {
      timer = wiring.clock.setTimeout(() => {
        resolve({ ok: false, reason: `no answer within ${wiring.timeoutMs} ms` });
        stop.abort(new Error('probe timed out'));
      }, wiring.timeoutMs);
      stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true });
    });
    return await Promise.race([wiring.probe.probe(stop.signal), timedOut]);
  } finally {
    wiring.clock.clearTimeout(timer);
    signal.removeEventListener('abort', abort);
    release();
  }
}

export const cameraHealthMachine = setup({
  types: {
    context: {} as CameraHealthContext,
    input: {} as CameraHealthInput,
    events: {} as CameraHealthEvent,
    emitted: {} as StatusEmitted | OutageEmitted,
  },
  actors: {
    probe: fromPromise<CameraProbeResult, Wiring>(({ input, signal }) => probeInTurn(input, signal)),
    close: fromPromise<void, CameraProbe>(async ({ input }) => {
      await input.close();
    }),
  },
  delays: {
    // A camera keeps its cadence: the probe's own time comes out of the interval.
    interval: ({ context }) =>
      Math.max(0, context.wiring.intervalMs - (context.wiring.clock.now() - context.startedAt)),
  },
  actions: {
    report: enqueueActions(({ context, enqueue }, params: { status: DeviceStatus; reason: string }) => {
      const change = statusChange(context, params.status, params.reason, context.wiring.clock.now());
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
    }),
    record: enqueueActions(({ context, enqueue }, result: CameraProbeResult) => {
      const { wiring } = context;
      const now = wiring.clock.now();
      const verdict = judge(result, wiring.limits);
      const runs = countRuns(context.runs, verdict);
      const good = verdict.kind === 'good';
      // An outage is dated from its first bad probe and to its first good one, not from when the
      // hysteresis let the health change: the cloud needs the minutes the camera really missed.
      const troubleSince = good ? undefined : (context.troubleSince ?? now);
      const goodSince = good ? (context.goodSince ?? now) : undefined;
      enqueue.assign({
        runs,
        troubleSince,
        goodSince,
        probes: context.probes + 1,
        last: { ...result, at: now },
      });
      const next = nextHealth(context.status, context.reason === STARTING, runs, verdict, wiring.hysteresis);
      const change = next && statusChange(context, next.status, next.reason, now);
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
      const { status, reason } = change.health;
      const open = context.outage;
      if (status === 'online') {
        if (!open) return;
        const over = { ...open, to: goodSince ?? now };
        enqueue.assign({ outage: undefined, outages: [...context.outages, over].slice(-wiring.outagesKept) });
        enqueue.emit({ type: 'outage', ...over });
      } else if (!open) {
        enqueue.assign({
          outage: { deviceId: context.deviceId, from: troubleSince ?? now, worst: status, reason },
        });
      } else if (status === 'offline' && open.worst !== 'offline') {
        enqueue.assign({ outage: { ...open, worst: 'offline' } });
      }
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
    runs: noRuns,
    troubleSince: undefined,
    goodSince: undefined,
    probes: 0,
    startedAt: input.clock.now(),
    last: undefined,
    outage: undefined,
    outages: [],
    wiring: {
      probe: input.probe,
      clock: input.clock,
      intervalMs: input.intervalMs ?? 10_000,
      timeoutMs: input.timeoutMs ?? 5000,
      limits: { ...defaultLimits, ...input.limits },
      hysteresis: { ...defaultHysteresis, ...input.hysteresis },
      slots: input.slots ?? new Slots(1),
      outagesKept: input.outagesKept ?? 20,
    },
  }),
  initial: 'probing',
  on: { close: '.closing' },
  states: {
    waiting: { after: { interval: 'probing' } },
    probing: {
      entry: assign({ startedAt: ({ context }) => context.wiring.clock.now() }),
      invoke: {
        src: 'probe',
        input: ({ context }) => context.wiring,
        onDone: { target: 'waiting', actions: { type: 'record', params: ({ event }) => event.output } },
        onError: {
          target: 'waiting',
          actions: { type: 'record', params: ({ event }) => ({ ok: false, reason: reasonOf(event.error) }) },
        },
      },
    },
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

/** Creates (does not start) a camera-health actor whose timers run on `clock`. */
export function createCameraHealthActor(input: Omit<CameraHealthInput, 'clock'>, clock: Clock) {
  return createActor(cameraHealthMachine, { input: { ...input, clock }, clock });
}

export type CameraHealthActor = ReturnType<typeof createCameraHealthActor>;
