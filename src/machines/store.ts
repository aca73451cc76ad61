// The store as one: trips, who is inside, its mode, and the emergency latch. Gates report passages and
// fire inputs here; the store turns them into the business events and tells every gate about an
// emergency.
//
//   emergency:  normal ─fire input or command─▶ active ─every fire input clear─▶ latched ─reset─▶ normal
//               (a reset while an input is still on is refused; a new alarm while latched is active again)
//   mode:       open | closed, set by the cloud or a technician; closed refuses entry, exits stay free
//               (the mode announced, with the devices' part in it, is store-mode.ts's)
//
// Trips: an authorised credential starts one; each passage in of that trip is `shopper.entered`.
// Occupancy is passages in minus passages out, never below zero. An exit names its trip only when
// that is certain: exactly one trip inside and nobody without a trip. When the store empties or
// closes, every trip still open is over.
import { assign, createActor, enqueueActions, setup } from 'xstate';
import type { EventData, EventKind } from '../events/catalogue.js';
import type { Direction } from '../sensing/passage.js';
import type { Clock } from '../system/clock.js';

export type StoreMode = 'open' | 'closed';
export type CredentialKind = EventData<'trip.started'>['credentialKind'];

export interface Trip {
  tripId: string;
  gateId: string;
  credentialKind: CredentialKind;
  partySize: number;
  /** People of this trip through the gate so far. */
  entered: number;
  /** People of this trip believed inside. */
  inside: number;
}

/** What the store remembers across a restart (dataDir/store.json). */
export interface StoreMemory {
  mode: StoreMode;
  emergency: 'normal' | 'active' | 'latched';
  emergencySource?: string;
  trips: Trip[];
  occupancy: number;
  /** People inside who came through without a trip (forced, tailgating). */
  strangers: number;
}

export const freshStore: StoreMemory = {
  mode: 'open',
  emergency: 'normal',
  trips: [],
  occupancy: 0,
  strangers: 0,
};

export interface StoreContext extends Omit<StoreMemory, 'emergency'> {
  /** Gates whose fire-alarm input is on now. */
  fireInputs: string[];
  /** Where the emergency stood before a restart; read once at start. */
  restoredEmergency: StoreMemory['emergency'];
}

export type StoreEvent =
  | { type: 'trip.start'; trip: Omit<Trip, 'entered' | 'inside'>; credentialRef?: string }
  | { type: 'passage'; gateId: string; direction: Direction; tripId?: string }
  | { type: 'walkAway'; tripId: string }
  | { type: 'fire'; gateId: string; active: boolean }
  | { type: 'emergency.trigger'; source: string }
  | { type: 'emergency.reset'; reply: (outcome: { ok: boolean; message: string }) => void }
  | { type: 'mode.set'; mode: StoreMode };

/** A business event for the outbox, typed by the catalogue. */
export type StoreEmitted = { [K in EventKind]: { type: 'event'; kind: K; data: EventData<K> } }[EventKind];

const event = <K extends EventKind>(kind: K, data: EventData<K>) =>
  ({ type: 'event', kind, data }) as StoreEmitted;

/** The trip a shelf change or an exit belongs to: only when exactly one trip is inside and no stranger. */
export function soleTrip(context: Pick<StoreContext, 'trips' | 'strangers'>): Trip | undefined {
  if (context.strangers > 0) return undefined;
  const inside = context.trips.filter((t) => t.inside > 0);
  return inside.length === 1 ? inside[0] : undefined;
}

export const storeMachine = setup({
  types: {
    input: {} as { memory: StoreMemory },
    context: {} as StoreContext,
    events: {} as StoreEvent,
    emitted: {} as StoreEmitted,
  },
  guards: {
    restoredEmergency: ({ context }) => context.restoredEmergency !== 'normal',
    fireOn: ({ event }) => event.type === 'fire' && event.active,
    noFireInput: ({ context }) => context.fireInputs.length === 0,
  },
  actions: {
    noteFire: assign({
      fireInputs: ({ context, event }) => {
        if (event.type !== 'fire') return context.fireInputs;
        const others = context.fireInputs.filter((g) => g !== event.gateId);
        return event.active ? [...others, event.gateId] : others;
      },
    }),
    declare: enqueueActions(({ event: e, enqueue }) => {
      const source =
        e.type === 'fire'
          ? `fire alarm input at ${e.gateId}`
          : e.type === 'emergency.trigger'
            ? e.source
            : 'emergency';
      enqueue.assign({ emergencySource: source });
      enqueue.emit(event('emergency', { state: 'active', source }));
    }),
    clear: enqueueActions(({ context, event: e, enqueue }) => {
      const { emergencySource: _source, ...rest } = context;
      enqueue.assign({ ...rest, emergencySource: undefined });
      enqueue.emit(event('emergency', { state: 'cleared' }));
      if (e.type === 'emergency.reset')
        e.reply({ ok: true, message: 'emergency reset; gates back to normal' });
    }),
    refuseReset: ({ context, event: e }) => {
      if (e.type !== 'emergency.reset') return;
      const message =
        context.fireInputs.length > 0
          ? `the fire alarm is still on at ${context.fireInputs.join(', ')}; reset once it clears`
          : 'there is no emergency to reset';
      e.reply({ ok: false, message });
    },
    startTrip: enqueueActions(({ context, event: e, enqueue }) => {
      if (e.type !== 'trip.start') return;
      enqueue.assign({ trips: [...context.trips, { ...e.trip, entered: 0, inside: 0 }] });
      const { tripId, gateId, credentialKind, partySize } = e.trip;
      const ref = e.credentialRef ? { credentialRef: e.credentialRef } : {};
      enqueue.emit(event('trip.started', { tripId, gateId, credentialKind, partySize, ...ref }));
    }),
    passage: enqueueActions(({ context, event: e, enqueue }) => {
      if (e.type !== 'passage') return;
      if (e.direction === 'in') {
        const trip = e.tripId ? context.trips.find((t) => t.tripId === e.tripId) : undefined;
        enqueue.assign({
          occupancy: context.occupancy + 1,
          strangers: trip ? context.strangers : context.strangers + 1,
          trips: context.trips.map((t) =>
            t === trip ? { ...t, entered: t.entered + 1, inside: t.inside + 1 } : t,
          ),
        });
        if (trip) enqueue.emit(event('shopper.entered', { tripId: trip.tripId, gateId: e.gateId }));
        return;
      }
      const occupancy = Math.max(0, context.occupancy - 1);
      const trip = soleTrip(context);
      let trips = context.trips;
      let strangers = context.strangers;
      if (trip) trips = trips.map((t) => (t === trip ? { ...t, inside: t.inside - 1 } : t));
      else if (strangers > 0 && !trips.some((t) => t.inside > 0)) strangers -= 1;
      // An empty store is the one certainty: whoever was believed inside has left. A trip whose
      // party is still at the gate has not begun and stays.
      if (occupancy === 0) {
        trips = trips.filter((t) => t.entered === 0);
        strangers = 0;
      } else trips = trips.filter((t) => t.inside > 0 || t.entered === 0);
      enqueue.assign({ occupancy, trips, strangers });
      enqueue.emit(event('shopper.exited', { gateId: e.gateId, ...(trip ? { tripId: trip.tripId } : {}) }));
    }),
    walkAway: assign({
      trips: ({ context, event: e }) =>
        e.type === 'walkAway'
          ? context.trips.filter((t) => t.tripId !== e.tripId || t.entered > 0)
          : context.trips,
    }),
    setMode: enqueueActions(({ context, event: e, enqueue }) => {
      if (e.type !== 'mode.set' || e.mode === context.mode) return;
      enqueue.assign({ mode: e.mode });
      // Closing is the end of the day's trips: nobody is counted inside a closed store.
      if (e.mode === 'closed') enqueue.assign({ trips: [], occupancy: 0, strangers: 0 });
    }),
  },
}).createMachine({
  id: 'store',
  type: 'parallel',
  context: ({ input }) => {
    const { emergency: _emergency, trips, ...memory } = input.memory;
    // A trip whose party had not come through when the hub stopped never will: the gate that was
    // open for it comes back locked.
    const begun = trips.filter((t) => t.entered > 0);
    return { ...memory, trips: begun, fireInputs: [], restoredEmergency: input.memory.emergency };
  },
  on: {
    fire: { actions: 'noteFire' },
    'trip.start': { actions: 'startTrip' },
    passage: { actions: 'passage' },
    walkAway: { actions: 'walkAway' },
    'mode.set': { actions: 'setMode' },
  },
  states: {
    emergency: {
      initial: 'restoring',
      states: {
        restoring: {
          always: [
            // Latched, whatever it was: an input still on says so again as the gates start, and one
            // that never reports (a gate that failed to start) cannot keep the latch from a reset.
            { guard: 'restoredEmergency', target: 'latched' },
            { target: 'normal' },
          ],
        },
        normal: {
          on: {
            fire: { guard: 'fireOn', target: 'active', actions: ['noteFire', 'declare'] },
            'emergency.trigger': { target: 'latched', actions: 'declare' },
            'emergency.reset': { actions: 'refuseReset' },
          },
        },
        active: {
          on: {
            fire: [
              { guard: 'fireOn', actions: 'noteFire' },
              { actions: 'noteFire', target: 'settling' },
            ],
            'emergency.reset': { actions: 'refuseReset' },
          },
        },
        /** An input went off: latched if none is left on. */
        settling: {
          always: [{ guard: 'noFireInput', target: 'latched' }, { target: 'active' }],
        },
        latched: {
          on: {
            fire: { guard: 'fireOn', target: 'active', actions: ['noteFire', 'declare'] },
            'emergency.reset': { guard: 'noFireInput', target: 'normal', actions: 'clear' },
          },
        },
      },
    },
  },
});

export type StoreActor = ReturnType<typeof createStoreActor>;

/** The store's actor, started from what it remembered. Not started. */
export function createStoreActor(memory: StoreMemory, clock: Clock) {
  return createActor(storeMachine, { input: { memory }, clock });
}

/** Whether the store is in an emergency (active, or latched until a person resets it). */
export function inEmergency(snapshot: ReturnType<StoreActor['getSnapshot']>): boolean {
  return !snapshot.matches({ emergency: 'normal' }) && !snapshot.matches({ emergency: 'restoring' });
}

/** What to write to dataDir/store.json. */
export function memoryOf(snapshot: ReturnType<StoreActor['getSnapshot']>): StoreMemory {
  const { fireInputs: _inputs, restoredEmergency: _restored, ...rest } = snapshot.context;
  const emergency = snapshot.matches({ emergency: 'latched' })
    ? 'latched'
    : inEmergency(snapshot)
      ? 'active'
      : 'normal';
  return { ...rest, emergency };
}
