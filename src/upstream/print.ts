// The live print: one readable line per thing that happens at the upstream, for a person watching a
// demo or a technician checking that a hub gets through. Everything a hub sent is shown cleaned of
// control characters and cut short; tokens never reach this file.
import type { EventData, EventKind } from '../events/catalogue.js';
import type { CommandResultFrame } from './frames.js';
import type { StoredEvent } from './store.js';

type Summary = { [K in EventKind]: (d: EventData<K>) => string };

const grams = (g: number) => `${g > 0 ? '+' : ''}${Math.round(g * 10) / 10}g`;
const plates = (p: number[]) => `plate${p.length === 1 ? '' : 's'} ${p.join(',')}`;
const trip = (t: string | undefined) => (t ? `, trip ${t}` : '');

function shelfChange(d: EventData<'shelf.pick'>): string {
  const items =
    d.items.map((i) => `${i.qty}× ${i.sku} (${i.probability.toFixed(2)})`).join(', ') || 'no item';
  return (
    `shelf ${d.shelfId} ${plates(d.plates)} ${grams(d.deltaGrams)}: ${items}, ` +
    `confidence ${d.confidence.toFixed(2)}, coverage ${d.coverage}${trip(d.tripId)}`
  );
}

/** One summary per catalogue kind; the type makes a new kind without a summary a compile error. */
const summaries: Summary = {
  'hub.started': (d) => `version ${d.version}, previous stop ${d.previousStop}, ${d.devices} devices`,
  'hub.stopping': (d) => d.reason,
  'device.status': (d) => `${d.deviceKind} ${d.deviceId} ${d.status}${d.reason ? `: ${d.reason}` : ''}`,
  'camera.outage': (d) =>
    `camera ${d.deviceId} ${d.worst} for ${Math.round(d.durationMs / 1000)} s: ${d.reason}`,
  'store.mode': (d) => `${d.mode}${d.reasons.length > 0 ? `: ${d.reasons.join('; ')}` : ''}`,
  'entry.denied': (d) => `gate ${d.gateId} ${d.credentialKind}: ${d.reason}`,
  'trip.started': (d) => `trip ${d.tripId} at gate ${d.gateId}, ${d.credentialKind}, party of ${d.partySize}`,
  'shopper.entered': (d) => `trip ${d.tripId} entered at gate ${d.gateId}`,
  'shopper.exited': (d) => `left at gate ${d.gateId}${trip(d.tripId)}`,
  'gate.alarm': (d) => `gate ${d.gateId} ${d.alarm} ${d.state}`,
  emergency: (d) => `${d.state}${d.source ? ` (${d.source})` : ''}`,
  'shelf.pick': shelfChange,
  'shelf.put': shelfChange,
  'shelf.anomaly': (d) =>
    `shelf ${d.shelfId} ${plates(d.plates)} ${grams(d.deltaGrams)}: ${d.reason}${trip(d.tripId)}`,
  'audit.command': (d) =>
    `${d.source} ${d.name} ${compact(d.args)} → ${d.ok ? 'ok' : `failed${d.error ? `: ${d.error.code} ${d.error.message}` : ''}`}`,
  'outbox.gap': (d) =>
    `lost seqs ${d.fromSeq}..${d.toSeq} (${d.count} events from ${d.oldestTime} to ${d.newestTime}) before the cloud had them`,
};

/**
 * The readable part of an event line: the kind's summary, or, when the catalogue does not recognise
 * the event (`problem` says why), that flag and compact JSON.
 */
export function summarise(kind: string, data: unknown, problem?: string): string {
  if (problem !== undefined || !Object.hasOwn(summaries, kind)) {
    return `unrecognised (${problem ?? 'unknown kind'}): ${compact(data)}`;
  }
  return (summaries[kind as EventKind] as (d: unknown) => string)(data);
}

/** Local wall-clock time as HH:MM:SS.mmm. */
export function clock(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}.${p(at.getMilliseconds(), 3)}`;
}

/** Makes text from a hub safe for a terminal line. */
export function clean(text: string, max = 400): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

function compact(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Formats the live print; each method writes one line through `write`. */
export class LivePrint {
  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  listening(url: string): void {
    this.#line('upstream', `listening on ${url}`);
  }
  connected(peer: string): void {
    this.#line(peer, 'connected');
  }
  refused(peer: string, status: number, reason: string): void {
    this.#line(peer, `refused (${status}): ${reason}`);
  }
  hello(hubId: string, storeId: string, version: string, ackedSeq: number): void {
    const resume = ackedSeq > 0 ? `resuming after #${ackedSeq}` : 'nothing stored yet';
    this.#line(hubId, `hello: store ${storeId}, version ${version}, ${resume}`);
  }
  replaced(hubId: string): void {
    this.#line(hubId, 'older connection replaced by a newer one (4001)');
  }
  event(hubId: string, e: StoredEvent, problem?: string): void {
    this.#line(hubId, `#${e.seq}  ${e.kind}  ${summarise(e.kind, e.data, problem)}`);
  }
  duplicate(hubId: string, e: StoredEvent): void {
    this.#line(hubId, `#${e.seq}  ${e.kind}  duplicate of id ${e.id}, already stored; dropped`);
  }
  behind(hubId: string, seq: number): void {
    this.#line(
      hubId,
      `#${seq}  warning: a new id with a seq not after what was stored; kept, but seqs must increase`,
    );
  }
  lateResult(hubId: string, id: string): void {
    this.#line(hubId, `command.result for ${id} arrived after its command timed out; ignored`);
  }
  invalid(who: string, reason: string, recent: number): void {
    this.#line(who, `invalid frame dropped: ${reason} (${recent} in the last minute)`);
  }
  request(hubId: string, method: string, outcome: string): void {
    this.#line(hubId, `request ${method} → ${outcome}`);
  }
  command(hubId: string, name: string, args: unknown): void {
    this.#line(hubId, `command ${name} ${compact(args)} sent`);
  }
  commandResult(hubId: string, name: string, r: CommandResultFrame): void {
    const outcome = r.ok
      ? `ok${r.result === undefined ? '' : ` ${compact(r.result)}`}`
      : `failed: ${r.error.code} ${r.error.message}`;
    this.#line(hubId, `command ${name} → ${outcome}`);
  }
  commandTimeout(hubId: string, name: string, timeoutMs: number): void {
    this.#line(hubId, `command ${name} → no answer within ${timeoutMs} ms`);
  }
  disconnected(who: string, code: number, reason: string): void {
    this.#line(who, `disconnected (${code}${reason ? ` ${reason}` : ''})`);
  }
  closing(): void {
    this.#line('upstream', 'closing');
  }

  #line(who: string, text: string): void {
    this.write(`${clock(this.now())}  ${clean(who, 64)}  ${clean(text)}`);
  }
}
