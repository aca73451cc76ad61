// The diagnostics page's live feed over one WebSocket per open page (/api/live): the hub's status each
// second, every event as it is emitted, the scanners' reads, the log's lines, and the weights of the
// one shelf the page plots, at most 60 points a second per plate. The page only ever sends which
// shelf to plot; actions go through POST /api/commands. A page that reads too slowly is skipped a
// frame, then dropped; a session that ends closes its feed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SeenScan } from '../machines/scan-watch.js';
import { toGrams } from '../sensing/calibration.js';
import type { PlateCalibration, ShelfSamples } from '../sensing/types.js';
import type { LogTail } from './log-tail.js';
import type { Session } from './sessions.js';

export interface FeedEvent {
  kind: string;
  /** When the hub emitted it, ISO 8601. */
  at: string;
  data: unknown;
}

export interface LiveSources {
  status(): unknown;
  /** Hears every event the hub emits; returns the unsubscribe. */
  events(listener: (event: FeedEvent) => void): () => void;
  /** Hears a shelf's samples with the calibration in force; undefined when there is no such shelf. */
  weights(
    shelfId: string,
    listener: (batch: ShelfSamples, calibration: readonly PlateCalibration[]) => void,
  ): (() => void) | undefined;
  scans(listener: (scan: SeenScan) => void): () => void;
  logs: Pick<LogTail, 'recent' | 'listen'>;
}

/** Points per second per plate the page receives, whatever the boards' rate: one per frame at 60 Hz. */
export const MAX_POINTS_HZ = 60;
const STATUS_EVERY_MS = 1000;
const WEIGHTS_EVERY_MS = 100;
/** Events a page gets when it opens, so it does not start blank. */
const RECENT_EVENTS = 200;
/** Past this much unsent, status and weights wait for the next turn; past the second, the page is dropped. */
const SKIP_BYTES = 1024 * 1024;
const DROP_BYTES = 8 * 1024 * 1024;

export class LiveFeed {
  readonly #sources: LiveSources;
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  readonly #recent: FeedEvent[] = [];
  readonly #stopEvents: () => void;

  constructor(sources: LiveSources) {
    this.#sources = sources;
    this.#stopEvents = sources.events((event) => {
      this.#recent.push(event);
      if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    });
  }

  /** Takes over an upgrade the server has already authenticated; `alive` says whether the session still is. */
  accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    session: Session,
    alive: () => boolean,
  ): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      new LiveClient(ws, session, this.#sources, alive).start(this.#recent);
    });
  }

  get clients(): number {
    return this.#server.clients.size;
  }

  stop(): void {
    this.#stopEvents();
    for (const ws of this.#server.clients) {
      ws.close(1001, 'the hub is stopping');
      // A page that does not answer the close must not hold the daemon's exit.
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.#server.close();
  }
}

class LiveClient {
  readonly #ws: WebSocket;
  readonly #session: Session;
  readonly #sources: LiveSources;
  readonly #alive: () => boolean;
  readonly #stops: (() => void)[] = [];
  #timers: NodeJS.Timeout[] = [];
  #plot: Plot | undefined;

  constructor(ws: WebSocket, session: Session, sources: LiveSources, alive: () => boolean) {
    this.#ws = ws;
    this.#session = session;
    this.#sources = sources;
    this.#alive = alive;
  }

  start(recent: readonly FeedEvent[]): void {
    const { account, role } = this.#session;
    this.#send({ type: 'hello', account, role });
    this.#send({ type: 'events', events: recent });
    this.#send({ type: 'logs', lines: this.#sources.logs.recent() });
    this.#status();
    this.#stops.push(
      this.#sources.events((event) => this.#send({ type: 'event', event })),
      this.#sources.logs.listen((line) => this.#send({ type: 'log', line })),
      this.#sources.scans(({ code, ...scan }) =>
        // A viewer sees that a scanner read something, never what.
        this.#send({
          type: 'scan',
          scan: this.#session.role === 'technician' && code ? { ...scan, code } : scan,
        }),
      ),
    );
    this.#timers = [
      setInterval(() => this.#status(), STATUS_EVERY_MS),
      setInterval(() => this.#flushWeights(), WEIGHTS_EVERY_MS),
    ];
    this.#ws.on('message', (data, binary) => this.#onMessage(binary ? undefined : data.toString()));
    this.#ws.on('close', () => this.#close());
    this.#ws.on('error', () => this.#ws.terminate());
  }

  #status(): void {
    if (!this.#alive()) {
      this.#send({ type: 'signedOut', reason: 'your session has ended: sign in again' });
      this.#ws.close(4001, 'session ended');
      return;
    }
    if (this.#busy()) return;
    this.#send({ type: 'status', status: this.#sources.status() });
  }

  #onMessage(text: string | undefined): void {
    let message: unknown;
    try {
      message = text === undefined ? undefined : JSON.parse(text);
    } catch {}
    const { type, shelfId } = (message ?? {}) as { type?: unknown; shelfId?: unknown };
    if (type !== 'plot' || (shelfId !== null && typeof shelfId !== 'string')) {
      this.#send({ type: 'error', message: 'expected {"type": "plot", "shelfId": "..." | null}' });
      return;
    }
    this.#plot?.stop();
    this.#plot = undefined;
    if (shelfId === null) return;
    const plot = new Plot(shelfId);
    const stop = this.#sources.weights(shelfId, (batch, calibration) => plot.take(batch, calibration));
    if (!stop) {
      this.#send({ type: 'error', message: `no shelf "${shelfId.slice(0, 64)}" on this hub` });
      return;
    }
    plot.stop = stop;
    this.#plot = plot;
  }

  #flushWeights(): void {
    const plot = this.#plot;
    if (!plot || plot.t.length === 0 || this.#busy()) return;
    this.#send({ type: 'weights', shelfId: plot.shelfId, t: plot.t, grams: plot.grams });
    plot.t = [];
    plot.grams = plot.grams.map(() => []);
  }

  #busy(): boolean {
    if (this.#ws.bufferedAmount > DROP_BYTES) {
      this.#ws.terminate();
      return true;
    }
    return this.#ws.bufferedAmount > SKIP_BYTES;
  }

  #send(message: unknown): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const stop of this.#stops.splice(0)) stop();
    this.#plot?.stop();
  }
}

/** One shelf's weights on their way to a page: grams per plate, thinned to MAX_POINTS_HZ. */
class Plot {
  readonly shelfId: string;
  t: number[] = [];
  /** grams[plate][i], null where the plate gave no reading. */
  grams: (number | null)[][] = [];
  stop: () => void = () => {};
  /** Credit earned so far, in whole numbers: each sample earns MAX_POINTS_HZ, `rateHz` of it keeps one. */
  #credit = 0;

  constructor(shelfId: string) {
    this.shelfId = shelfId;
  }

  take(batch: ShelfSamples, calibration: readonly PlateCalibration[]): void {
    const cost = Math.max(batch.rateHz, MAX_POINTS_HZ);
    const count = batch.values.length / batch.channels;
    while (this.grams.length < batch.channels) this.grams.push(this.t.map(() => null));
    for (let i = 0; i < count; i++) {
      this.#credit += MAX_POINTS_HZ;
      if (this.#credit < cost) continue;
      this.#credit -= cost;
      this.t.push(Math.round(batch.t0 + (i * 1000) / batch.rateHz));
      for (let c = 0; c < batch.channels; c++) {
        const raw = batch.values[i * batch.channels + c] as number;
        const cal = calibration[c];
        (this.grams[c] as (number | null)[]).push(
          Number.isNaN(raw) || !cal ? null : Math.round(toGrams(raw, cal) * 10) / 10,
        );
      }
    }
  }
}
