// One streaming device (a scanner, a shelf's adapter) kept connected: open it, forward what it sends,
// notice when it is lost, wait a growing while, try again. The machine is pure; opening, watching and
// closing the link are actors. Whatever the link or the data callback throws ends up as `offline`
// with a reason, never as an exception out of the actor: one bad device must not stop the others.
//
//   working ── (watching the device's presence throughout, when the link can tell it)
//     linked.connecting ─open ok─▶ linked.online          (watching the link throughout `linked`)
//          │ open fails / lost / gone / data callback throws ──▶ offline.closing ─▶ offline.waiting
//     offline.waiting ─retry (backoff) or the device reappears─▶ linked
//   close (from anywhere) ─▶ closing ─▶ closed (final)
//
// A device that reappears is reopened at once rather than at the end of a backoff that may have grown
// to half a minute, and its failures are forgotten so a few quick retries cover udev's settling.
// `status` is emitted when status or reason changes; `context` is what diagnostics show.
import { assign, createActor, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import type { DeviceLink } from '../drivers/link.js';
import { type Backoff, defaultBackoff, retryDelay } from '../system/backoff.js';
import type { Clock } from '../system/clock.js';
import {
  type DeviceHealth,
  type DeviceKind,
  type DeviceStatus,
  reasonOf,
  STARTING,
  type StatusEmitted,
  statusChange,
} from './status.js';

export interface DeviceLinkInput<T> {
  deviceId: string;
  deviceKind: DeviceKind;
  link: DeviceLink<T>;
  /** Called with everything the device sends while it is linked. Throwing takes the device offline. */
  onData: (data: T) => void;
  /** Gives `since` its time; pass the same clock as `createActor(…, { clock })`. */
  clock: Pick<Clock, 'now'>;
  backoff?: Partial<Backoff>;
  /** Source of the retry jitter, in [0, 1); Math.random by default. */
  random?: () => number;
}

/**
 * The input with the data type erased, as the machine holds it. Any DeviceLinkInput<T> fits; the
 * link and its callback were checked against each other where the input was built.
 */
export type AnyDeviceLinkInput = Omit<DeviceLinkInput<unknown>, 'onData'> & { onData: (data: never) => void };

/** What the machine works with. Not state and not for display: diagnostics show `DeviceHealth`. */
interface Wiring {
  link: DeviceLink<unknown>;
  onData: (data: never) => void;
  now: () => number;
  backoff: Backoff;
  random: () => number;
}

export interface DeviceLinkContext extends DeviceHealth {
  /** Failures in a row (failed opens and losses); forgotten after backoff.stableMs online. */
  failures: number;
  /** The device came back since the link was last online: the next wait for a retry is skipped. */
  reappeared: boolean;
  /** The wait before the next attempt, as chosen at the last failure. */
  retryInMs: number;
  wiring: Wiring;
}

export type DeviceLinkEvent =
  | { type: 'close' }
  /** The consumer of the data judges the device unwell though linked (e.g. a plate reads NaN). */
  | { type: 'degrade'; reason: string }
  | { type: 'recover' }
  /** From the watch actor. */
  | { type: 'lost'; reason: string }
  | { type: 'fault'; reason: string }
  /** From the presence actor: the device left or came back. */
  | { type: 'gone' }
  | { type: 'back' };

interface Report {
  status: DeviceStatus;
  reason: string;
}

const ONLINE_REASON = 'connected';
const GONE_REASON = 'unplugged: no longer on the system';
const CLOSED_REASON = 'closed';

const watchLink = fromCallback<DeviceLinkEvent, Pick<Wiring, 'link' | 'onData'>>(({ input, sendBack }) => {
  let failed = false;
  const stopData = input.link.onData((data) => {
    if (failed) return;
    try {
      input.onData(data as never);
    } catch (error) {
      failed = true;
      sendBack({ type: 'fault', reason: `could not handle its data: ${reasonOf(error)}` });
    }
  });
  let stopLost: () => void;
  try {
    stopLost = input.link.onLost((reason) => sendBack({ type: 'lost', reason }));
  } catch (error) {
    stopData();
    throw error;
  }
  return () => {
    // A link that throws while unsubscribing must not break the machine's transition.
    for (const stop of [stopData, stopLost]) {
      try {
        stop();
      } catch {}
    }
  };
});

const watchPresence = fromCallback<DeviceLinkEvent, DeviceLink<unknown>>(({ input, sendBack }) => {
  if (!input.onPresence) return;
  const stop = input.onPresence((present) => sendBack({ type: present ? 'back' : 'gone' }));
  return () => {
    try {
      stop();
    } catch {}
  };
});

export const deviceLinkMachine = setup({
  types: {
    context: {} as DeviceLinkContext,
    input: {} as AnyDeviceLinkInput,
    events: {} as DeviceLinkEvent,
    emitted: {} as StatusEmitted,
  },
  actors: {
    open: fromPromise<void, DeviceLink<unknown>>(async ({ input }) => {
      await input.open();
    }),
    close: fromPromise<void, DeviceLink<unknown>>(async ({ input }) => {
      await input.close();
    }),
    watch: watchLink,
    presence: watchPresence,
  },
  delays: {
    retry: ({ context }) => context.retryInMs,
    stable: ({ context }) => context.wiring.backoff.stableMs,
  },
  actions: {
    report: enqueueActions(({ context, enqueue }, params: Report) => {
      const change = statusChange(context, params.status, params.reason, context.wiring.now());
      if (!change) return;
      enqueue.assign(change.health);
      enqueue.emit(change.emitted);
    }),
    countFailure: assign(({ context }) => {
      const failures = context.failures + 1;
      return { failures, retryInMs: retryDelay(failures, context.wiring.backoff, context.wiring.random) };
    }),
    forgetFailures: assign({ failures: 0 }),
    noteReappeared: assign({ reappeared: true }),
  },
}).createMachine({
  id: 'deviceLink',
  context: ({ input }) => ({
    deviceId: input.deviceId,
    deviceKind: input.deviceKind,
    status: 'offline',
    reason: STARTING,
    since: input.clock.now(),
    failures: 0,
    reappeared: false,
    retryInMs: 0,
    wiring: {
      link: input.link,
      onData: input.onData,
      now: () => input.clock.now(),
      backoff: { ...defaultBackoff, ...input.backoff },
      random: input.random ?? Math.random,
    },
  }),
  initial: 'working',
  on: { close: '.closing' },
  states: {
    working: {
      initial: 'linked',
      invoke: { src: 'presence', input: ({ context }) => context.wiring.link },
      // Noted wherever it comes: back during a retry's open that then fails must not wait the backoff.
      on: { back: { actions: 'noteReappeared' } },
      states: {
        // Watching spans connecting and online: it starts before the open, so a loss between the open and
        // the next state is not missed, and it is not torn down when the open succeeds.
        linked: {
          initial: 'connecting',
          invoke: {
            src: 'watch',
            input: ({ context }) => context.wiring,
            onError: {
              target: 'offline',
              actions: ['countFailure', { type: 'report', params: ({ event }) => offline(event.error) }],
            },
          },
          on: {
            lost: {
              target: 'offline',
              actions: ['countFailure', { type: 'report', params: ({ event }) => offline(event.reason) }],
            },
            fault: {
              target: 'offline',
              actions: ['countFailure', { type: 'report', params: ({ event }) => offline(event.reason) }],
            },
            // Gone before any read failed (a USB read may block until it times out): offline now.
            gone: {
              target: 'offline',
              actions: [
                'countFailure',
                { type: 'report', params: { status: 'offline', reason: GONE_REASON } },
              ],
            },
          },
          states: {
            connecting: {
              invoke: {
                src: 'open',
                input: ({ context }) => context.wiring.link,
                onDone: 'online',
                onError: {
                  target: '#deviceLink.working.offline',
                  actions: ['countFailure', { type: 'report', params: ({ event }) => offline(event.error) }],
                },
              },
            },
            online: {
              entry: [
                { type: 'report', params: { status: 'online', reason: ONLINE_REASON } },
                assign({ reappeared: false }),
              ],
              after: { stable: { actions: 'forgetFailures' } },
              on: {
                degrade: {
                  actions: {
                    type: 'report',
                    params: ({ event }) => ({ status: 'degraded', reason: event.reason }),
                  },
                },
                recover: { actions: { type: 'report', params: { status: 'online', reason: ONLINE_REASON } } },
              },
            },
          },
        },
        offline: {
          // Close whatever is left of the link first, so the next open starts clean.
          initial: 'closing',
          on: { gone: { actions: assign({ reappeared: false }) } },
          states: {
            closing: {
              invoke: {
                src: 'close',
                input: ({ context }) => context.wiring.link,
                onDone: 'waiting',
                onError: 'waiting',
              },
            },
            waiting: {
              // One retry at once per reappearance: the flag is used up, so a device that is back but
              // still refuses (udev not done) falls back to the backoff instead of a tight loop.
              always: {
                guard: ({ context }) => context.reappeared,
                target: '#deviceLink.working.linked',
                actions: ['forgetFailures', assign({ reappeared: false })],
              },
              after: { retry: '#deviceLink.working.linked' },
            },
          },
        },
      },
    },
    closing: {
      entry: { type: 'report', params: { status: 'offline', reason: CLOSED_REASON } },
      invoke: {
        src: 'close',
        input: ({ context }) => context.wiring.link,
        onDone: 'closed',
        onError: 'closed',
      },
      on: { close: {} },
    },
    closed: { type: 'final' },
  },
});

/** Offline, for a reason given as a string or as whatever was thrown. */
function offline(why: unknown): Report {
  return { status: 'offline', reason: reasonOf(why) };
}

/**
 * Creates (does not start) a device-link actor. Prefer it to a bare createActor: it checks that the
 * data callback takes what the link sends, and gives the machine's timers the same clock.
 */
export function createDeviceLinkActor<T>(input: Omit<DeviceLinkInput<T>, 'clock'>, clock: Clock) {
  return createActor(deviceLinkMachine, { input: { ...input, clock }, clock });
}

export type DeviceLinkActor = ReturnType<typeof createDeviceLinkActor>;
