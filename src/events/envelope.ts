// The envelope every event travels in, from the outbox to the cloud.
import { randomUUID } from 'node:crypto';
import type { EventData, EventKind } from './catalogue.js';

export interface Envelope<K extends EventKind = EventKind> {
  /** Strictly increasing per hub, never reused, also across crashes. */
  seq: number;
  /** UUID; lets the cloud drop a duplicate delivered twice. */
  id: string;
  /** ISO-8601 UTC time the event happened. */
  time: string;
  kind: K;
  data: EventData<K>;
  hubId: string;
  storeId: string;
}

/** An event before the outbox gives it a seq. */
export type PendingEvent<K extends EventKind = EventKind> = Omit<Envelope<K>, 'seq'>;

export function pendingEvent<K extends EventKind>(
  hub: { hubId: string; storeId: string },
  kind: K,
  data: EventData<K>,
  time: Date = new Date(),
): PendingEvent<K> {
  return { id: randomUUID(), time: time.toISOString(), kind, data, hubId: hub.hubId, storeId: hub.storeId };
}

/** The protocol v1 frame: hub and store ids travel once, in `hello`, not in every event. */
export function eventFrame(e: Envelope): string {
  return JSON.stringify({ type: 'event', seq: e.seq, id: e.id, time: e.time, kind: e.kind, data: e.data });
}
