// One shelf as the rest of the hub sees it. Samples never reach this machine: sensing turns them into
// a few decisions (activity, settling, a change, a disturbance, a plate fault) and only those arrive
// here. The machine names the items behind each change, keeps the shelf's health, and runs tare and
// calibration jobs, during which the technician's own weight changes are not reported as picks.
//
//   motion:  idle ─activity─▶ active ─settling─▶ settling ─change/disturbance─▶ idle
//            idle ─tare/calibrate─▶ calibrating ─done/failed─▶ idle
//   health:  ok ⇄ fault (a board down or a plate faulty); status online / degraded / offline says which
//
// Emits `status` (device.status data) on every change of health, and `shelf` with the data of a
// shelf.pick, shelf.put or shelf.anomaly event (coverage and trip are added by fusion).
import { assign, createActor, enqueueActions, fromPromise, not, setup } from 'xstate';
import type { EventData } from '../events/catalogue.js';
import type { Explanation, PlateFault, SensorOutput, ShelfChange } from '../sensing/types.js';
import type { Clock } from '../system/clock.js';
import { type DeviceHealth, reasonOf, STARTING, type StatusEmitted, statusChange } from './status.js';

/** A tare zeroes plates at their present load; a span calibration learns a plate's scale from a known weight. */
export type CalibrationJob =
  | { kind: 'tare'; plates: number[] }
  | { kind: 'span'; plate: number; grams: number };

export type ShelfEventData = Omit<EventData<'shelf.pick'>, 'coverage' | 'tripId'>;
export type AnomalyData = Omit<EventData<'shelf.anomaly'>, 'tripId'>;
export type ShelfEmitted =
  | { type: 'shelf'; kind: 'shelf.pick' | 'shelf.put'; data: ShelfEventData }
  | { type: 'shelf'; kind: 'shelf.anomaly'; data: AnomalyData };

export interface ShelfInput {
  shelfId: string;
  /** Ids of the boards (or simulated links) the shelf's plates are wired to. */
  sources: string[];
  clock: Pick<Clock, 'now'>;
  /** Names the items behind a change, or says why none does. Pure. */
  explain: (change: ShelfChange) => Explanation;
  /** Carries a job out (waits for stability, updates and persists the calibration); rejects with the reason. */
  /** Runs a job; `signal` aborts it when the shelf closes, before it changes anything. */
  calibrate: (job: CalibrationJob, signal: AbortSignal) => Promise<string>;
}

export type CommandReply = (outcome: { ok: true; message: string } | { ok: false; message: string }) => void;

export type ShelfEvent =
  | { type: 'sensor'; output: SensorOutput }
  | { type: 'source.down'; source: string; reason: string }
  | { type: 'source.up'; source: string }
  | { type: 'calibrate'; job: CalibrationJob; reply: CommandReply }
  | { type: 'close' };

export interface ShelfContext extends DeviceHealth {
  sources: string[];
  /** Sources that are down now, with why. */
  down: Record<string, string>;
  /** Sources heard from at least once; the shelf is online once all have been. */
  up: string[];
  /** Faulty plates now, with the fault. */
  faults: Record<number, PlateFault>;
  counts: { picks: number; puts: number; anomalies: number; disturbances: number };
  /** The reply of the job under way. */
  reply: CommandReply | undefined;
  job: CalibrationJob | undefined;
  wiring: Pick<ShelfInput, 'explain' | 'calibrate' | 'clock'>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The event a settled change becomes: a pick, a put or, when nothing explains it, an anomaly. */
export function decide(shelfId: string, change: ShelfChange, explanation: Explanation): ShelfEmitted {
  const base = {
    shelfId,
    plates: change.plates,
    deltaGrams: round(change.deltaGrams),
    startedAt: iso(change.startedAt),
    settledAt: iso(change.settledAt),
  };
  if (explanation.kind === 'anomaly')
    return { type: 'shelf', kind: 'shelf.anomaly', data: { ...base, reason: explanation.reason } };
  return {
    type: 'shelf',
    kind: explanation.direction === 'pick' ? 'shelf.pick' : 'shelf.put',
    data: { ...base, items: explanation.items, confidence: explanation.confidence },
  };
}

function round(grams: number): number {
  return Math.round(grams * 10) / 10;
}

/** Health from the sources and plate faults: offline when no source is up, degraded when some part is not. */
function health(c: ShelfContext): { status: DeviceHealth['status']; reason: string } | undefined {
  const down = Object.entries(c.down);
  if (down.length > 0 && down.length >= c.sources.length)
    return { status: 'offline', reason: down.map(([, why]) => why).join('; ') };
  if (c.up.length < c.sources.length && down.length === 0) return undefined;
  const problems = [
    ...down.map(([, why]) => why),
    ...Object.entries(c.faults).map(([plate, fault]) => `plate ${plate} ${describeFault(fault)}`),
  ];
  if (problems.length > 0) return { status: 'degraded', reason: problems.join('; ') };
  return { status: 'online', reason: 'connected' };
}

function describeFault(fault: PlateFault): string {
  switch (fault) {
    case 'saturated':
      return 'saturated (overloaded or at the end of its range)';
    case 'stuck':
      return 'stuck (reading does not move)';
    case 'noisy':
      return 'noisy (beyond its profile)';
    case 'no-signal':
      return 'has no signal';
  }
}

const isOutput =
  <T extends SensorOutput['type']>(type: T) =>
  ({ event }: { event: ShelfEvent }) =>
    event.type === 'sensor' && event.output.type === type;

export const shelfMachine = setup({
  types: {
    context: {} as ShelfContext,
    events: {} as ShelfEvent,
    input: {} as ShelfInput,
    emitted: {} as StatusEmitted | ShelfEmitted,
  },
  actors: {
    runJob: fromPromise<string, { job: CalibrationJob; run: ShelfInput['calibrate'] }>(({ input, signal }) =>
      input.run(input.job, signal),
    ),
  },
  guards: {
    unwell: ({ context }) => Object.keys(context.down).length > 0 || Object.keys(context.faults).length > 0,
  },
  actions: {
    report: enqueueActions(({ context, enqueue }) => {
      const next = health(context);
      if (!next) return;
      const change = statusChange(context, next.status, next.reason, context.wiring.clock.now());
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
    }),
    sourceEvent: assign(({ context, event }) => {
      // Only this shelf's own boards count towards its health.
      if (
        (event.type === 'source.down' || event.type === 'source.up') &&
        !context.sources.includes(event.source)
      )
        return {};
      if (event.type === 'source.down') return { down: { ...context.down, [event.source]: event.reason } };
      if (event.type !== 'source.up') return {};
      const { [event.source]: _gone, ...down } = context.down;
      const up = context.up.includes(event.source) ? context.up : [...context.up, event.source];
      return { down, up };
    }),
    faultEvent: assign(({ context, event }) => {
      if (event.type !== 'sensor') return {};
      const o = event.output;
      if (o.type === 'fault') return { faults: { ...context.faults, [o.plate]: o.fault } };
      if (o.type === 'fault-cleared' && context.faults[o.plate] === o.fault) {
        const { [o.plate]: _cleared, ...faults } = context.faults;
        return { faults };
      }
      return {};
    }),
    decideChange: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'sensor' || event.output.type !== 'change') return;
      const emitted = decide(context.deviceId, event.output, context.wiring.explain(event.output));
      const counts = { ...context.counts };
      if (emitted.kind === 'shelf.pick') counts.picks++;
      else if (emitted.kind === 'shelf.put') counts.puts++;
      else counts.anomalies++;
      enqueue.assign({ counts });
      enqueue.emit(emitted);
    }),
    countDisturbance: assign(({ context }) => ({
      counts: { ...context.counts, disturbances: context.counts.disturbances + 1 },
    })),
    refuseJob: ({ event }) => {
      if (event.type === 'calibrate')
        event.reply({ ok: false, message: 'the shelf is moving; try again once it is still' });
    },
    refuseBusy: ({ event }) => {
      if (event.type === 'calibrate')
        event.reply({ ok: false, message: 'a calibration is already under way' });
    },
  },
}).createMachine({
  id: 'shelf',
  context: ({ input }) => ({
    deviceId: input.shelfId,
    deviceKind: 'shelf',
    status: 'offline',
    reason: STARTING,
    since: input.clock.now(),
    sources: input.sources,
    down: {},
    up: [],
    faults: {},
    counts: { picks: 0, puts: 0, anomalies: 0, disturbances: 0 },
    reply: undefined,
    job: undefined,
    wiring: { explain: input.explain, calibrate: input.calibrate, clock: input.clock },
  }),
  on: {
    'source.down': { actions: ['sourceEvent', 'report'] },
    'source.up': { actions: ['sourceEvent', 'report'] },
    close: '.closed',
  },
  initial: 'running',
  states: {
    running: {
      type: 'parallel',
      states: {
        // Where the shelf is in a change, or in a technician's job.
        motion: {
          initial: 'idle',
          states: {
            idle: {
              on: {
                sensor: [
                  { guard: isOutput('activity'), target: 'active' },
                  { guard: isOutput('change'), actions: 'decideChange' },
                  { guard: isOutput('disturbance'), actions: 'countDisturbance' },
                  { actions: ['faultEvent', 'report'] },
                ],
                calibrate: {
                  target: 'calibrating',
                  actions: assign(({ event }) => ({ job: event.job, reply: event.reply })),
                },
              },
            },
            active: {
              on: {
                sensor: [
                  { guard: isOutput('settling'), target: 'settling' },
                  { guard: isOutput('change'), target: 'idle', actions: 'decideChange' },
                  { guard: isOutput('disturbance'), target: 'idle', actions: 'countDisturbance' },
                  { actions: ['faultEvent', 'report'] },
                ],
                calibrate: { actions: 'refuseJob' },
              },
            },
            settling: {
              on: {
                sensor: [
                  { guard: isOutput('activity'), target: 'active' },
                  { guard: isOutput('change'), target: 'idle', actions: 'decideChange' },
                  { guard: isOutput('disturbance'), target: 'idle', actions: 'countDisturbance' },
                  { actions: ['faultEvent', 'report'] },
                ],
                calibrate: { actions: 'refuseJob' },
              },
            },
            calibrating: {
              // The technician's hands and weights are not shoppers: changes are not reported meanwhile.
              on: {
                sensor: { actions: ['faultEvent', 'report'] },
                calibrate: { actions: 'refuseBusy' },
              },
              invoke: {
                src: 'runJob',
                input: ({ context }) => ({
                  job: context.job as CalibrationJob,
                  run: context.wiring.calibrate,
                }),
                onDone: {
                  target: 'idle',
                  actions: [
                    ({ context, event }) => context.reply?.({ ok: true, message: event.output }),
                    assign({ job: undefined, reply: undefined }),
                  ],
                },
                onError: {
                  target: 'idle',
                  actions: [
                    ({ context, event }) => context.reply?.({ ok: false, message: reasonOf(event.error) }),
                    assign({ job: undefined, reply: undefined }),
                  ],
                },
              },
            },
          },
        },
        // Whether every board answers and every plate can be trusted; `reason` says what is wrong.
        health: {
          initial: 'ok',
          states: {
            ok: { always: { guard: 'unwell', target: 'fault' } },
            fault: { always: { guard: not('unwell'), target: 'ok' } },
          },
        },
      },
    },
    closed: {
      type: 'final',
      entry: ({ context }) => context.reply?.({ ok: false, message: 'the hub is stopping' }),
    },
  },
});

export type ShelfActor = ReturnType<typeof createShelfActor>;

/** Where the shelf is in a change: idle, active, settling or calibrating (closed once stopped). */
export function motionOf(snapshot: ReturnType<ShelfActor['getSnapshot']>): string {
  const value = snapshot.value;
  return typeof value === 'string' ? value : String(value.running.motion);
}

/** ok, or fault while a board is down or a plate cannot be trusted. */
export function healthOf(snapshot: ReturnType<ShelfActor['getSnapshot']>): string {
  const value = snapshot.value;
  return typeof value === 'string' ? value : String(value.running.health);
}

/** A running-ready shelf actor on `clock` (a FakeClock in tests). */
export function createShelfActor(input: ShelfInput, clock: Clock) {
  return createActor(shelfMachine, { input, clock });
}
