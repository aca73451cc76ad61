// The diagnostics page's live feed over one WebSocket per open page (/api/live): the hub's status each
// second, every event once it is durable, the scanners' reads, the log's lines, and the weights of the
// one shelf the page plots, at most 60 points a second per plate. The page only ever sends which
// shelf to plot; actions go through POST /api/commands. A page that reads too slowly is skipped a
// frame, then dropped; one that stops answering pings is dropped; a session that ends closes its
// feed; and a feed that fails closes itself without touching what it was listening to.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SeenScan } from '../machines/scan-watch.js';
import { toGrams } from '../sensing/calibration.js';
import type { PlateCalibration, ShelfSamples } from '../sensing/types.js';
import type { Logger } from '../system/log.js';
import type { LogTail } from './log-tail.js';
import type { Session } from './sessions.js';

export interface FeedEvent {
  /** The outbox's: the event is durable before a page hears of it, and matches the cloud's copy. */
  seq: number;
  id: string;
  kind: string;
  /** When it happened, ISO 8601, as the cloud has it. */
  time: string;
  data: unknown;
}

export interface LiveSources {
  status(): unknown;
  /** Hears every event once it is durable; returns the unsubscribe. */
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
/** Open feeds, all pages together and per session: well below the server's 32 connections, so a
 * page stuck reconnecting cannot keep a technician from signing in. */
export const MAX_FEEDS = 12;
export const MAX_FEEDS_PER_SESSION = 3;
const STATUS_EVERY_MS = 1000;
const WEIGHTS_EVERY_MS = 100;
/** A page that has not answered a ping by the next one is gone (a phone that left the Wi-Fi). */
const PING_EVERY_MS = 15_000;
/** Events a page gets when it opens, so it does not start blank. */
const RECENT_EVENTS = 200;
/** Past this much unsent, status and weights wait for the next turn; past the second, the page is dropped. */
const SKIP_BYTES = 1024 * 1024;
const DROP_BYTES = 8 * 1024 * 1024;
/** Weights kept for a page that is behind: the last five seconds. */
const MAX_BUFFERED_POINTS = 5 * MAX_POINTS_HZ;

export class LiveFeed {
  readonly #sources: LiveSources;
  readonly #log: Logger;
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  readonly #clients = new Set<LiveClient>();
  readonly #recent: FeedEvent[] = [];
  readonly #stopEvents: () => void;
  readonly #timers: NodeJS.Timeout[];

  constructor(sources: LiveSources, log: Logger) {
    this.#sources = sources;
    this.#log = log;
    this.#stopEvents = sources.events((event) => {
      this.#recent.push(event);
      if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    });
    // One status for every page each second, not one per page.
    this.#timers = [
      setInterval(() => this.#status(), STATUS_EVERY_MS),
      setInterval(() => this.#each((client) => client.flushWeights()), WEIGHTS_EVERY_MS),
      setInterval(() => this.#each((client) => client.ping()), PING_EVERY_MS),
    ];
    for (const timer of this.#timers) timer.unref();
  }

  /** Why another feed for `session` is refused, or undefined when it may open. */
  refusal(session: Session): string | undefined {
    if (this.#clients.size >= MAX_FEEDS) return `the hub serves ${MAX_FEEDS} live pages at most`;
    const own = [...this.#clients].filter((c) => c.session.id === session.id).length;
    if (own >= MAX_FEEDS_PER_SESSION)
      return `one sign-in may keep ${MAX_FEEDS_PER_SESSION} live pages open; close one`;
    return undefined;
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
      const client = new LiveClient(ws, session, this.#sources, alive, (err) => {
        this.#log.error({ err, account: session.account }, 'a live page failed; it was closed');
      });
      this.#clients.add(client);
      ws.on('close', () => this.#clients.delete(client));
      client.start(this.#recent);
      const status = this.#statusNow();
      if (status !== undefined) client.status(status.value);
    });
  }

  get clients(): number {
    return this.#clients.size;
  }

  stop(): void {
    this.#stopEvents();
    for (const timer of this.#timers) clearInterval(timer);
    for (const client of this.#clients) client.close(1001, 'the hub is stopping');
    this.#server.close();
  }

  #status(): void {
    if (this.#clients.size === 0) return;
    const status = this.#statusNow();
    if (status !== undefined) this.#each((client) => client.status(status.value));
  }

  /** The hub's status, or undefined (logged) when it cannot be had: the pages wait for the next. */
  #statusNow(): { value: unknown } | undefined {
    try {
      return { value: this.#sources.status() };
    } catch (err) {
      this.#log.error({ err }, 'the hub status for the live pages failed');
      return undefined;
    }
  }

  #each(act: (client: LiveClient) => void): void {
    for (const client of this.#clients) act(client);
  }
}

class LiveClient {
  readonly session: Session;
  readonly #ws: WebSocket;
  readonly #sources: LiveSources;
  readonly #alive: () => boolean;
  readonly #failed: (err: unknown) => void;
  readonly #stops: (() => void)[] = [];
  #plot: Plot | undefined;
  #answered = true;
  #closed = false;

  constructor(
    ws: WebSocket,
    session: Session,
    sources: LiveSources,
    alive: () => boolean,
    failed: (err: unknown) => void,
  ) {
    this.#ws = ws;
    this.session = session;
    this.#sources = sources;
    this.#alive = alive;
    this.#failed = failed;
  }

  start(recent: readonly FeedEvent[]): void {
    const { account, role } = this.session;
    this.#send({ type: 'hello', account, role });
    this.#send({ type: 'events', events: recent });
    this.#send({ type: 'logs', lines: this.#sources.logs.recent() });
    // Whatever a page's feed does wrong stays its own: the scan, the log line or the shelf batch that
    // it hears goes on its way.
    this.#stops.push(
      this.#sources.events(this.#guard((event) => this.#send({ type: 'event', event }))),
      this.#sources.logs.listen(this.#guard((line) => this.#send({ type: 'log', line }))),
      this.#sources.scans(
        this.#guard(({ code, ...scan }: SeenScan) =>
          // A viewer sees that a scanner read something, never what.
          this.#send({
            type: 'scan',
            scan: this.session.role === 'technician' && code ? { ...scan, code } : scan,
          }),
        ),
      ),
    );
    this.#ws.on('pong', () => {
      this.#answered = true;
    });
    this.#ws.on('message', (data, binary) =>
      this.#guard(() => this.#onMessage(binary ? undefined : data.toString()))(),
    );
    this.#ws.on('close', () => this.#unsubscribe());
    this.#ws.on('error', () => this.#ws.terminate());
  }

  /** Sends the hub's status (and the hub's clock, for the page's "4 s ago"), or signs the page out. */
  status(status: unknown): void {
    if (!this.#alive()) {
      this.#send({ type: 'signedOut', reason: 'your session has ended: sign in again' });
      this.close(4001, 'session ended');
      return;
    }
    if (this.#busy()) return;
    this.#send({ type: 'status', status, now: Date.now() });
  }

  ping(): void {
    if (!this.#answered) {
      this.#ws.terminate();
      return;
    }
    this.#answered = false;
    this.#ws.ping();
  }

  flushWeights(): void {
    const plot = this.#plot;
    if (!plot || plot.t.length === 0 || this.#busy()) return;
    this.#send({ type: 'weights', shelfId: plot.shelfId, t: plot.t, grams: plot.grams });
    plot.t = [];
    plot.grams = plot.grams.map(() => []);
  }

  /** Stops hearing at once; a page that does not answer the close is cut off after a second. */
  close(code: number, reason: string): void {
    this.#unsubscribe();
    this.#ws.close(code, reason);
    setTimeout(() => this.#ws.terminate(), 1000).unref();
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
    const stop = this.#sources.weights(
      shelfId,
      this.#guard((batch: ShelfSamples, calibration: readonly PlateCalibration[]) =>
        plot.take(batch, calibration),
      ),
    );
    if (!stop) {
      this.#send({ type: 'error', message: `no shelf "${shelfId.slice(0, 64)}" on this hub` });
      return;
    }
    plot.stop = stop;
    this.#plot = plot;
  }

  /** `act`, which closes this page rather than throw at its caller. */
  #guard<A extends unknown[]>(act: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        act(...args);
      } catch (err) {
        this.#failed(err);
        this.close(1011, 'internal error');
      }
    };
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

  #unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stops.splice(0)) stop();
    this.#plot?.stop();
    this.#plot = undefined;
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
      // A page that is behind gets the last seconds, not everything since it fell behind.
      if (this.t.length >= MAX_BUFFERED_POINTS) {
        this.t.shift();
        for (const series of this.grams) series.shift();
      }
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
