// One gate: its lock, lights and buzzer, its lane's beams and contacts, and who it lets through.
//
//   locked ─scan─▶ authorising ─allow─▶ open (waiting ⇄ passing) ─party through─▶ relocking ─▶ locked
//                  authorising ─deny, lease over─▶ denying ─▶ locked
//   locked ─grant (command) or exit request─▶ open
//   free: an exit with free egress, always open outward
//   emergency: open whatever else, from the store's latch ─cleared─▶ locked | free
//
// Passages come from the beams (sensing/passage.ts) in any state: each completed one is emitted with
// its direction and, when it belongs to an opening, the trip. Alarms (forced_open, held_open,
// tailgate, tamper, input_fault) are emitted as raised and cleared. The fire-alarm input is only
// reported: the store latches the emergency and sends it to every gate.
import { assign, cancel, createActor, enqueueActions, fromPromise, raise, setup } from 'xstate';
import type { GateProfile } from '../drivers/gpio/gate-profile.js';
import type { Level } from '../drivers/gpio/port.js';
import type { Scan } from '../drivers/scanner/port.js';
import type { EventData } from '../events/catalogue.js';
import {
  type Beam,
  type Direction,
  emptyLane,
  type LaneState,
  type PassageSignal,
  stepLane,
  stepLaneOneBeam,
} from '../sensing/passage.js';
import type { Clock } from '../system/clock.js';

export type GateAlarm = EventData<'gate.alarm'>['alarm'];
/** What a scanner reads: the catalogue's credential kinds but `command`, which no scanner produces. */
export type CredentialKind = Exclude<EventData<'entry.denied'>['credentialKind'], 'command'>;
export type OutputLine = keyof GateProfile['outputs'];
export type InputLine = keyof GateProfile['inputs'];

/** What the store answers for one credential at one gate. */
export type Decision =
  | { allow: true; partySize: number; tripId: string }
  | { allow: false; reason: string; detail?: string };

export interface AuthoriseRequest {
  gateId: string;
  credentialKind: CredentialKind;
  scan: Scan;
}

/** Decides a credential; `signal` aborts when the gate's lease runs out, and then nothing may be committed. */
export type Authorise = (request: AuthoriseRequest, signal: AbortSignal) => Promise<Decision>;

export interface GateInput {
  gateId: string;
  role: 'entry' | 'exit';
  profile: GateProfile;
  /** Drives one output by its profile name (logical level). Must not throw for a line the profile lacks. */
  write: (line: OutputLine, level: Level) => void;
  /** The time now, ms: an opening's window is a deadline, not a timer restarted by each step. */
  now: () => number;
}

export type GateEvent =
  | { type: 'scan'; credentialKind: CredentialKind; scan: Scan }
  | { type: 'input'; line: InputLine; level: Level }
  /** Opens for `party` people going `direction` without a credential (a command, an exit request). */
  | { type: 'grant'; direction: Direction; party: number; tripId?: string }
  | { type: 'emergency'; active: boolean }
  /** A technician's check of the lights and buzzer: green, then red with the buzzer; locked throughout. */
  | { type: 'signals.test' }
  | { type: 'close' };

type InternalEvent =
  | { type: 'passage'; signal: PassageSignal }
  | { type: 'alarm.set'; alarm: GateAlarm; raised: boolean }
  | { type: 'beam.stuck'; beam: Beam }
  | { type: 'held.open' }
  | { type: 'pulse.end' }
  | { type: 'exit.request' };

export type GateEmitted =
  | { type: 'passage'; gateId: string; direction: Direction; tripId?: string; authorised: boolean }
  | { type: 'denied'; gateId: string; credentialKind: CredentialKind; reason: string; detail?: string }
  | { type: 'alarm'; gateId: string; alarm: GateAlarm; state: 'raised' | 'cleared' }
  | { type: 'fire'; gateId: string; active: boolean }
  /** An opening ran out with nobody through. */
  | { type: 'walkAway'; gateId: string; tripId?: string };

/** Who the gate is open for now. */
export interface Opening {
  direction: Direction;
  party: number;
  passed: number;
  tripId?: string;
}

export interface GateContext {
  gateId: string;
  role: 'entry' | 'exit';
  profile: GateProfile;
  write: GateInput['write'];
  lane: LaneState;
  now: () => number;
  inputs: Partial<Record<InputLine, Level>>;
  opening: Opening | undefined;
  /** When the opening's window for its next person ends, ms. */
  windowEndsAt: number;
  /** Beams broken for longer than the profile's beamStuckMs. */
  stuck: Beam[];
  /** The credential being decided. */
  pending: AuthoriseRequest | undefined;
  alarms: Partial<Record<GateAlarm, true>>;
  /** The red light and buzzer of a refusal are on. */
  refusing: boolean;
  /**
   * The gate should be shut (locked, deciding, refusing): only then does a door or arm left open
   * count toward held_open. Open for a party, free egress or an emergency, standing open is the point.
   */
  meantShut: boolean;
  counts: { in: number; out: number; denied: number; granted: number };
}

/** How long each step of a lights-and-buzzer test lasts. */
const SIGNAL_TEST_STEP_MS = 1000;

/** Alarms that are moments, not conditions: they clear by themselves after the buzzer's time. */
const momentary: GateAlarm[] = ['forced_open', 'tailgate'];
const sounding: GateAlarm[] = ['forced_open', 'tailgate', 'tamper'];

const alarmSet = (alarm: GateAlarm, raised: boolean) => ({ type: 'alarm.set' as const, alarm, raised });

const buzzing = (refusing: boolean, alarms: GateContext['alarms']): Level =>
  refusing || sounding.some((a) => alarms[a]) ? 1 : 0;

/** A refusal: the event to emit and the counts after it. */
function denied(context: GateContext, credentialKind: CredentialKind, reason: string, detail?: string) {
  const emitted: GateEmitted = {
    type: 'denied',
    gateId: context.gateId,
    credentialKind,
    reason,
    ...(detail ? { detail } : {}),
  };
  return { emitted, counts: { ...context.counts, denied: context.counts.denied + 1 } };
}

const isSignal =
  (kind: PassageSignal['kind'], which: 'opening' | 'other' | 'any' = 'any') =>
  ({ context, event }: { context: GateContext; event: GateEvent | InternalEvent }) => {
    if (event.type !== 'passage' || event.signal.kind !== kind) return false;
    if (which === 'any') return true;
    const matches = event.signal.direction === context.opening?.direction;
    return which === 'opening' ? matches : !matches;
  };

const egressFree = ({ context }: { context: GateContext }) =>
  context.role === 'exit' && context.profile.egress === 'free';

// Transitions several states share.
/** A scan at a gate at rest: unreadable and exit-gate scans refused at once, others decided. */
const scanAtRest = [
  {
    guard: 'scanUnreadable',
    target: '#gate.denying',
    reenter: true,
    actions: { type: 'denyScan', params: {} },
  },
  {
    guard: 'atExit',
    target: '#gate.denying',
    reenter: true,
    actions: { type: 'denyScan', params: { reason: 'exit_gate' } },
  },
  { target: '#gate.authorising', actions: 'hold' },
] as const;
/** Someone went through a gate nobody opened. */
const forcedPassage = {
  guard: 'completedAny',
  actions: [
    { type: 'passage', params: { authorised: false } },
    { type: 'setAlarm', params: { alarm: 'forced_open', raised: true } },
  ],
} as const;
/** The door or arm moved while the gate was locked. */
const forcedPosition = {
  guard: 'positionOpened',
  actions: ['readInput', { type: 'setAlarm', params: { alarm: 'forced_open', raised: true } }],
} as const;
/** Someone went through against the way the gate is open. */
const wrongWay = { ...forcedPassage, guard: 'completedOther' } as const;

export const gateMachine = setup({
  types: {
    input: {} as GateInput,
    context: {} as GateContext,
    events: {} as GateEvent | InternalEvent,
    emitted: {} as GateEmitted,
  },
  actors: {
    authorise: fromPromise<Decision, AuthoriseRequest>(async () => {
      throw new Error('no authoriser given to the gate');
    }),
  },
  delays: {
    authoriseTimeout: ({ context }) => context.profile.timing.authoriseTimeoutMs,
    entryWindow: ({ context }) => Math.max(0, context.windowEndsAt - context.now()),
    passageTimeout: ({ context }) => context.profile.timing.passageTimeoutMs,
    relockDelay: ({ context }) => context.profile.timing.relockDelayMs,
    denyFeedback: ({ context }) => context.profile.timing.denyFeedbackMs,
    signalStep: SIGNAL_TEST_STEP_MS,
  },
  guards: {
    egressFree,
    scanUnreadable: ({ event }) => event.type === 'scan' && event.scan.problem !== undefined,
    atExit: ({ context }) => context.role === 'exit',
    completedOpening: isSignal('completed', 'opening'),
    completedOther: isSignal('completed', 'other'),
    completedAny: isSignal('completed'),
    startedOpening: isSignal('started', 'opening'),
    abandoned: isSignal('abandoned'),
    partyThrough: ({ context }) => (context.opening ? context.opening.passed >= context.opening.party : true),
    nobodyThrough: ({ context }) => (context.opening?.passed ?? 0) === 0,
    openOutward: ({ context }) => context.opening?.direction === 'out',
    emergencyOn: ({ event }) => event.type === 'emergency' && event.active,
    positionOpened: ({ event }) => event.type === 'input' && event.line === 'position' && event.level === 1,
  },
  actions: {
    lights: ({ context }, params: { unlock?: Level; green: Level; red: Level }) => {
      if (params.unlock !== undefined) context.write('unlock', params.unlock);
      context.write('green', params.green);
      context.write('red', params.red);
    },
    /** Opens the lock: held in `hold` mode, one pulse per person in `pulse` mode. */
    unlock: enqueueActions(({ context, enqueue }) => {
      context.write('unlock', 1);
      if (context.profile.unlock.mode === 'pulse') {
        enqueue(cancel('pulse'));
        enqueue(raise({ type: 'pulse.end' }, { delay: context.profile.unlock.pulseMs, id: 'pulse' }));
      }
    }),
    lock: ({ context }) => context.write('unlock', 0),
    buzzer: ({ context }) => context.write('buzzer', buzzing(context.refusing, context.alarms)),
    /** Reads one input's change: passages from the beams, alarms from the contacts. */
    readInput: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'input') return;
      const { line, level } = event;
      enqueue.assign({ inputs: { ...context.inputs, [line]: level } });
      const timing = context.profile.timing;
      const gateId = context.gateId;
      if (line === 'beamOuter' || line === 'beamInner') {
        const beam: Beam = line === 'beamOuter' ? 'outer' : 'inner';
        const other: Beam = beam === 'outer' ? 'inner' : 'outer';
        if (context.stuck.includes(other) && !context.stuck.includes(beam)) {
          // The other beam is stuck broken: this one counts alone, the way the gate is open (or its
          // usual way at rest), so a dirty reflector does not make every shopper a walk-away.
          const direction = context.opening?.direction ?? (context.role === 'exit' ? 'out' : 'in');
          const stepped = stepLaneOneBeam(context.lane, direction, level === 1);
          for (const signal of stepped.signals) enqueue(raise({ type: 'passage', signal }));
          enqueue.assign({ lane: stepped.lane });
        } else {
          const stepped = stepLane(context.lane, beam, level === 1);
          if (stepped.signal) enqueue(raise({ type: 'passage', signal: stepped.signal }));
          enqueue.assign({ lane: stepped.lane });
        }
        // Each beam has its own timer, running while it is broken: people crossing the other beam
        // neither hide a stuck one nor clear its fault.
        enqueue(cancel(`stuck.${beam}`));
        if (level === 1)
          enqueue(raise({ type: 'beam.stuck', beam }, { delay: timing.beamStuckMs, id: `stuck.${beam}` }));
        else if (context.stuck.includes(beam)) {
          const stuck = context.stuck.filter((b) => b !== beam);
          // Both beams count again, from the lane as it is now.
          const otherLine = other === 'outer' ? 'beamOuter' : 'beamInner';
          enqueue.assign({ stuck, lane: { ...emptyLane, [other]: context.inputs[otherLine] === 1 } });
          if (stuck.length === 0) enqueue(raise(alarmSet('input_fault', false)));
        }
      } else if (line === 'position') {
        enqueue(cancel('held.open'));
        if (level === 0) enqueue(raise(alarmSet('held_open', false)));
        else if (context.meantShut)
          enqueue(raise({ type: 'held.open' }, { delay: timing.heldOpenMs, id: 'held.open' }));
      } else if (line === 'tamper') {
        enqueue(raise(alarmSet('tamper', level === 1)));
      } else if (line === 'fireAlarm') {
        enqueue.emit({ type: 'fire', gateId, active: level === 1 });
      } else if (line === 'exitRequest' && level === 1) {
        enqueue(raise({ type: 'exit.request' }));
      }
    }),
    /** Raises or clears an alarm; a moment's alarm (forced_open, tailgate) clears by itself after the buzzer. */
    setAlarm: enqueueActions(({ context, enqueue }, params: { alarm: GateAlarm; raised: boolean }) => {
      const { alarm, raised } = params;
      if (raised && momentary.includes(alarm)) {
        enqueue(cancel(`expire.${alarm}`));
        const delay = Math.max(context.profile.timing.denyFeedbackMs, 1);
        enqueue(raise(alarmSet(alarm, false), { delay, id: `expire.${alarm}` }));
      }
      if (Boolean(context.alarms[alarm]) === raised) return;
      const { [alarm]: _was, ...rest } = context.alarms;
      const alarms = raised ? { ...rest, [alarm]: true as const } : rest;
      enqueue.assign({ alarms });
      enqueue.emit({ type: 'alarm', gateId: context.gateId, alarm, state: raised ? 'raised' : 'cleared' });
      enqueue(() => context.write('buzzer', buzzing(context.refusing, alarms)));
    }),
    /** A completed passage: emitted, counted, and attributed to the opening when it goes its way. */
    passage: enqueueActions(({ context, event, enqueue }, params: { authorised: boolean }) => {
      if (event.type !== 'passage') return;
      const { direction } = event.signal;
      const ofOpening = params.authorised && context.opening?.direction === direction;
      const tripId = ofOpening ? context.opening?.tripId : undefined;
      enqueue.emit({
        type: 'passage',
        gateId: context.gateId,
        direction,
        authorised: params.authorised,
        ...(tripId ? { tripId } : {}),
      });
      enqueue.assign({
        counts: { ...context.counts, [direction]: context.counts[direction] + 1 },
        ...(ofOpening && context.opening
          ? { opening: { ...context.opening, passed: context.opening.passed + 1 } }
          : {}),
      });
    }),
    denyScan: enqueueActions(({ context, event, enqueue }, params: { reason?: string }) => {
      if (event.type !== 'scan') return;
      const reason = params.reason ?? event.scan.problem ?? 'unreadable';
      const denial = denied(context, event.credentialKind, reason);
      enqueue.emit(denial.emitted);
      enqueue.assign({ counts: denial.counts });
    }),
    /** The credential under way is refused (lease over, authoriser failed). */
    denyPending: enqueueActions(({ context, enqueue }, params: { reason: string }) => {
      const denial = denied(context, context.pending?.credentialKind ?? 'qr', params.reason);
      enqueue.emit(denial.emitted);
      enqueue.assign({ counts: denial.counts });
    }),
    hold: assign({
      pending: ({ context, event }) =>
        event.type === 'scan'
          ? { gateId: context.gateId, credentialKind: event.credentialKind, scan: event.scan }
          : context.pending,
    }),
    allow: assign(({ context }, decision: Extract<Decision, { allow: true }>) => ({
      opening: { direction: 'in' as const, party: decision.partySize, passed: 0, tripId: decision.tripId },
      counts: { ...context.counts, granted: context.counts.granted + 1 },
    })),
    refuse: enqueueActions(({ context, enqueue }, decision: Extract<Decision, { allow: false }>) => {
      const { reason, detail } = decision;
      const denial = denied(context, context.pending?.credentialKind ?? 'qr', reason, detail);
      enqueue.emit(denial.emitted);
      enqueue.assign({ counts: denial.counts });
    }),
    /** The window for the opening's next person starts now. */
    startWindow: assign({
      windowEndsAt: ({ context }) => context.now() + context.profile.timing.entryWindowMs,
    }),
    grant: assign(({ context, event }) => {
      if (event.type !== 'grant') return {};
      const { direction, party, tripId } = event;
      return {
        opening: { direction, party, passed: 0, ...(tripId ? { tripId } : {}) },
        counts: { ...context.counts, granted: context.counts.granted + 1 },
      };
    }),
    openForExit: assign({ opening: { direction: 'out' as const, party: 1, passed: 0 } }),
    walkAway: enqueueActions(({ context, enqueue }) => {
      const tripId = context.opening?.tripId;
      enqueue.emit({ type: 'walkAway', gateId: context.gateId, ...(tripId ? { tripId } : {}) });
    }),
    /** A party the alarm caught at the gate will not come in as a trip: the store lets its trip go. */
    releaseTrip: enqueueActions(({ context, enqueue }) => {
      const opening = context.opening;
      if (opening?.tripId && opening.passed === 0)
        enqueue.emit({ type: 'walkAway', gateId: context.gateId, tripId: opening.tripId });
    }),
    /** One more person asked to go out while the gate is open outward: a new window, not a tailgate. */
    anotherOut: assign({
      opening: ({ context }) => context.opening && { ...context.opening, party: context.opening.party + 1 },
    }),
    /** From now on the gate should be shut: a door or arm still open has heldOpenMs to close. */
    shut: enqueueActions(({ context, enqueue }) => {
      if (context.meantShut) return;
      enqueue.assign({ meantShut: true });
      if (context.inputs.position === 1)
        enqueue(raise({ type: 'held.open' }, { delay: context.profile.timing.heldOpenMs, id: 'held.open' }));
    }),
    /** The gate stands open on purpose now; a held_open raised before is over. */
    unshut: enqueueActions(({ enqueue }) => {
      enqueue.assign({ meantShut: false });
      enqueue(cancel('held.open'));
      enqueue(raise(alarmSet('held_open', false)));
    }),
  },
}).createMachine({
  id: 'gate',
  initial: 'starting',
  context: ({ input }) => ({
    gateId: input.gateId,
    role: input.role,
    profile: input.profile,
    write: input.write,
    now: input.now,
    windowEndsAt: 0,
    stuck: [],
    lane: { ...emptyLane },
    inputs: {},
    opening: undefined,
    pending: undefined,
    alarms: {},
    refusing: false,
    meantShut: false,
    counts: { in: 0, out: 0, denied: 0, granted: 0 },
  }),
  on: {
    input: { actions: 'readInput' },
    'alarm.set': { actions: { type: 'setAlarm', params: ({ event }) => event } },
    'beam.stuck': {
      actions: [
        assign({
          stuck: ({ context, event }) => [...context.stuck.filter((b) => b !== event.beam), event.beam],
          // The stuck beam no longer counts: the lane starts empty for the working one.
          lane: { ...emptyLane },
        }),
        { type: 'setAlarm', params: { alarm: 'input_fault', raised: true } },
      ],
    },
    'held.open': { actions: { type: 'setAlarm', params: { alarm: 'held_open', raised: true } } },
    'pulse.end': { actions: 'lock' },
    emergency: { guard: 'emergencyOn', target: '.emergency' },
    close: '.closed',
  },
  states: {
    starting: {
      always: [{ guard: 'egressFree', target: 'free' }, { target: 'locked' }],
    },
    locked: {
      entry: [
        assign({ opening: undefined, pending: undefined }),
        { type: 'lights', params: { unlock: 0, green: 0, red: 0 } },
        'shut',
      ],
      on: {
        scan: scanAtRest,
        grant: { target: 'open', actions: 'grant' },
        'exit.request': { target: 'open', actions: 'openForExit' },
        'signals.test': 'testingSignals',
        passage: forcedPassage,
        input: forcedPosition,
      },
    },
    // Locked all through; a shopper's scan, a grant or an exit request ends the test at once.
    testingSignals: {
      initial: 'green',
      states: {
        green: {
          entry: { type: 'lights', params: { unlock: 0, green: 1, red: 0 } },
          after: { signalStep: 'red' },
        },
        red: {
          entry: [assign({ refusing: true }), { type: 'lights', params: { green: 0, red: 1 } }, 'buzzer'],
          exit: [assign({ refusing: false }), 'buzzer'],
          after: { signalStep: '#gate.locked' },
        },
      },
      on: {
        scan: scanAtRest,
        grant: { target: 'open', actions: 'grant' },
        'exit.request': { target: 'open', actions: 'openForExit' },
        passage: forcedPassage,
        input: forcedPosition,
      },
    },
    authorising: {
      // Locked while deciding, also when a scan arrives as the last party's gate relocks.
      entry: [cancel('pulse'), { type: 'lights', params: { unlock: 0, green: 1, red: 1 } }, 'shut'],
      invoke: {
        src: 'authorise',
        input: ({ context }) => context.pending as AuthoriseRequest,
        onDone: [
          {
            guard: ({ event }) => event.output.allow,
            target: 'open',
            actions: {
              type: 'allow',
              params: ({ event }) => event.output as Extract<Decision, { allow: true }>,
            },
          },
          {
            target: 'denying',
            actions: {
              type: 'refuse',
              params: ({ event }) => event.output as Extract<Decision, { allow: false }>,
            },
          },
        ],
        onError: {
          target: 'denying',
          actions: { type: 'denyPending', params: { reason: 'internal_error' } },
        },
      },
      after: {
        authoriseTimeout: {
          target: 'denying',
          actions: { type: 'denyPending', params: { reason: 'timeout' } },
        },
      },
      on: {
        scan: { actions: { type: 'denyScan', params: { reason: 'gate_busy' } } },
        passage: forcedPassage,
        input: forcedPosition,
      },
    },
    denying: {
      entry: [
        assign({ refusing: true, pending: undefined }),
        { type: 'lights', params: { unlock: 0, green: 0, red: 1 } },
        'buzzer',
        'shut',
      ],
      exit: [assign({ refusing: false }), 'buzzer'],
      after: { denyFeedback: 'locked' },
      on: {
        scan: scanAtRest,
        grant: { target: 'open', actions: 'grant' },
        'exit.request': { target: 'open', actions: 'openForExit' },
        passage: forcedPassage,
        input: forcedPosition,
      },
    },
    open: {
      initial: 'waiting',
      // The opening starts: its first window, the lock opened (a turnstile's first pulse).
      entry: ['unshut', 'startWindow', 'unlock', { type: 'lights', params: { green: 1, red: 0 } }],
      on: {
        scan: { actions: { type: 'denyScan', params: { reason: 'gate_busy' } } },
        'exit.request': {
          guard: 'openOutward',
          target: '.waiting',
          reenter: true,
          actions: ['anotherOut', 'startWindow', 'unlock'],
        },
        passage: [
          {
            guard: 'completedOpening',
            target: '.counted',
            actions: { type: 'passage', params: { authorised: true } },
          },
          wrongWay,
          { guard: 'startedOpening', target: '.passing' },
          { guard: 'abandoned', target: '.waiting' },
        ],
      },
      states: {
        waiting: {
          after: {
            entryWindow: [
              { guard: 'nobodyThrough', target: '#gate.relocking', actions: 'walkAway' },
              { target: '#gate.relocking' },
            ],
          },
        },
        passing: {
          after: { passageTimeout: 'waiting' },
        },
        counted: {
          always: [
            { guard: 'partyThrough', target: '#gate.relocking' },
            // The next person: a new window, and on a turnstile a new pulse.
            { target: 'waiting', actions: ['startWindow', 'unlock'] },
          ],
        },
      },
    },
    relocking: {
      entry: { type: 'lights', params: { green: 0, red: 0 } },
      after: { relockDelay: 'locked' },
      on: {
        scan: scanAtRest,
        'exit.request': { target: 'open', actions: 'openForExit' },
        passage: [
          {
            guard: 'completedOpening',
            actions: [
              { type: 'passage', params: { authorised: false } },
              { type: 'setAlarm', params: { alarm: 'tailgate', raised: true } },
            ],
          },
          wrongWay,
        ],
      },
    },
    free: {
      entry: [
        assign({ opening: { direction: 'out', party: Number.POSITIVE_INFINITY, passed: 0 } }),
        { type: 'lights', params: { unlock: 1, green: 1, red: 0 } },
        'unshut',
      ],
      on: {
        scan: { actions: { type: 'denyScan', params: { reason: 'exit_gate' } } },
        passage: [
          { guard: 'completedOpening', actions: { type: 'passage', params: { authorised: true } } },
          wrongWay,
        ],
      },
    },
    emergency: {
      entry: [
        cancel('pulse'),
        'releaseTrip',
        assign({ opening: undefined, pending: undefined }),
        { type: 'lights', params: { unlock: 1, green: 1, red: 0 } },
        'unshut',
      ],
      on: {
        emergency: [{ guard: 'emergencyOn' }, { guard: 'egressFree', target: 'free' }, { target: 'locked' }],
        scan: { actions: { type: 'denyScan', params: { reason: 'emergency' } } },
        // Everyone may leave (or come in) during an emergency: counted, never an alarm.
        passage: { guard: 'completedAny', actions: { type: 'passage', params: { authorised: true } } },
      },
    },
    closed: { type: 'final' },
  },
});

export type GateActor = ReturnType<typeof createGateActor>;

/** A gate's actor: time from `clock`, credentials decided by `authorise`. Not started. */
export function createGateActor(input: Omit<GateInput, 'now'>, authorise: Authorise, clock: Clock) {
  const machine = gateMachine.provide({
    actors: {
      authorise: fromPromise<Decision, AuthoriseRequest>(({ input, signal }) => authorise(input, signal)),
    },
  });
  return createActor(machine, { input: { ...input, now: () => clock.now() }, clock });
}

/** The gate's state as diagnostics and `hub.status` show it: `locked`, `open.passing`, `emergency`… */
export function gateStateOf(snapshot: ReturnType<GateActor['getSnapshot']>): string {
  const value = snapshot.value;
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([state, sub]) => `${state}.${String(sub)}`)
    .join(',');
}
