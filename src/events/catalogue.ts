// The event catalogue: every kind the hub emits, each defined once with the shape of its data.
// The uplink, the reference upstream and docs/protocol.md all follow this file.
import { z } from 'zod';

const id = z.string().min(1).max(128);
const isoTime = z.iso.datetime();
const deviceKind = z.enum(['hub', 'gate', 'scanner', 'shelf', 'camera', 'uplink', 'outbox']);
const credentialKind = z.enum(['qr', 'palm', 'command']);
const coverage = z.enum(['full', 'partial', 'none']);
const item = z.strictObject({
  sku: z.string().min(1),
  qty: z.number().int().positive(),
  probability: z.number().min(0).max(1),
});

const shelfChange = z.strictObject({
  shelfId: id,
  plates: z.array(z.number().int().min(0)).min(1),
  deltaGrams: z.number(),
  items: z.array(item),
  confidence: z.number().min(0).max(1),
  startedAt: isoTime,
  settledAt: isoTime,
  tripId: id.optional(),
  coverage,
});

export const eventCatalogue = {
  /** The daemon started; `previousStop` says whether the last run ended cleanly. */
  'hub.started': z.strictObject({
    version: z.string(),
    previousStop: z.enum(['clean', 'crash', 'none']),
    devices: z.number().int().min(0),
  }),
  /** The daemon is stopping on purpose (signal or command). */
  'hub.stopping': z.strictObject({ reason: z.string() }),
  /** A device's link changed state. `reason` is a short human sentence, never a secret. */
  'device.status': z.strictObject({
    deviceId: id,
    deviceKind,
    status: z.enum(['online', 'degraded', 'offline']),
    reason: z.string(),
  }),
  /**
   * A camera was not plainly online from `from` to `to` (degraded or offline); sent when it is online
   * again, so the cloud knows which minutes the cameras cannot vouch for.
   */
  'camera.outage': z.strictObject({
    deviceId: id,
    from: isoTime,
    to: isoTime,
    durationMs: z.number().int().min(0),
    worst: z.enum(['degraded', 'offline']),
    reason: z.string(),
  }),
  /** The store's mode and every reason it is not plainly open. */
  'store.mode': z.strictObject({
    mode: z.enum(['open', 'degraded', 'closed', 'emergency']),
    reasons: z.array(z.string()),
  }),
  /** `reason` is a word a technician can look up (docs/protocol.md); `detail` the cloud's own sentence. */
  'entry.denied': z.strictObject({
    gateId: id,
    credentialKind,
    reason: z.string(),
    detail: z.string().optional(),
  }),
  /**
   * An authorised credential opened an entry gate. `credentialRef` links the trip to the credential
   * without carrying it: `qr:<jti>` for a token, `palm:<salted hash>` for a palm, never a biometric.
   */
  'trip.started': z.strictObject({
    tripId: id,
    gateId: id,
    credentialKind,
    partySize: z.number().int().min(1),
    credentialRef: id.optional(),
  }),
  'shopper.entered': z.strictObject({ tripId: id, gateId: id }),
  'shopper.exited': z.strictObject({ gateId: id, tripId: id.optional() }),
  'gate.alarm': z.strictObject({
    gateId: id,
    alarm: z.enum(['forced_open', 'held_open', 'tailgate', 'tamper', 'input_fault']),
    state: z.enum(['raised', 'cleared']),
  }),
  emergency: z.strictObject({ state: z.enum(['active', 'cleared']), source: z.string().optional() }),
  'shelf.pick': shelfChange,
  'shelf.put': shelfChange,
  /** A weight change that no combination of the planogram's items explains. */
  'shelf.anomaly': z.strictObject({
    shelfId: id,
    plates: z.array(z.number().int().min(0)),
    deltaGrams: z.number(),
    reason: z.string(),
    startedAt: isoTime,
    settledAt: isoTime.optional(),
    tripId: id.optional(),
  }),
  /** Every command the hub carried out or refused, whoever sent it. */
  'audit.command': z.strictObject({
    source: z.enum(['cloud', 'technician', 'local']),
    /** The technician's account on the diagnostics page. */
    by: z.string().optional(),
    name: z.string(),
    args: z.record(z.string(), z.unknown()),
    ok: z.boolean(),
    error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  }),
  /**
   * The outbox was full and evicted its oldest events, seqs fromSeq..toSeq, before the cloud had
   * them. Emitted so the loss is never silent: the cloud sees seq jump over that range and this says why.
   */
  'outbox.gap': z.strictObject({
    fromSeq: z.number().int().min(1),
    toSeq: z.number().int().min(1),
    count: z.number().int().min(1),
    oldestTime: isoTime,
    newestTime: isoTime,
  }),
} as const;

export type EventKind = keyof typeof eventCatalogue;
export type EventData<K extends EventKind = EventKind> = z.output<(typeof eventCatalogue)[K]>;
export const eventKinds = Object.keys(eventCatalogue) as EventKind[];

export function isEventKind(kind: string): kind is EventKind {
  return Object.hasOwn(eventCatalogue, kind);
}
