// The WebSocket client of protocol v1: it resumes after the cloud's ackedSeq, sends the outbox's
// events in order within a bounded window, deletes them only once acknowledged, and keeps trying
// with jittered exponential backoff whatever the cloud does.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { UpstreamConfig } from '../config/schema.js';
import { type Envelope, eventFrame } from '../events/envelope.js';
import { InvalidFrames, maxInvalidFrames, protocolVersion, subprotocol } from '../events/wire.js';
import { retryDelay } from '../system/backoff.js';
import type { Logger } from '../system/log.js';
import type { Secret } from '../system/secret.js';
import { type CommandFrame, type CommandOutcome, parseCloudFrame } from './frames.js';

/** What the uplink needs of the outbox. */
export interface EventSource {
  readonly lastSeq: number;
  /** Highest seq acknowledged and deleted locally. */
  readonly ackedSeq: number;
  readAfter(seq: number, limit: number): Envelope[];
  ack(seq: number): void;
  skipTo(seq: number): void;
  onCommit(listener: (lastSeq: number) => void): () => void;
}

export type UplinkSettings = Omit<UpstreamConfig, 'url' | 'tokenFile'>;

export interface UplinkOptions {
  url: string;
  token: Secret;
  hub: { hubId: string; storeId: string };
  version: string;
  source: EventSource;
  settings: UplinkSettings;
  log: Logger;
  /** Carries out a command from the cloud; the uplink sends back its outcome. */
  onCommand?: (command: CommandFrame) => Promise<CommandOutcome>;
  /** Source of jitter; tests pin it. */
  random?: () => number;
}

export type UplinkState = 'idle' | 'connecting' | 'handshaking' | 'streaming' | 'waiting' | 'stopped';

/** A request the cloud could not answer: `code` is `offline`, `timeout`, `stopped` or the cloud's own code. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

interface OpenRequest {
  resolve: (result: unknown) => void;
  reject: (err: RequestError) => void;
  timer: NodeJS.Timeout;
}

/** Events read from the outbox per turn; small enough to keep the event loop responsive. */
const readBatch = 512;
/** A connection that streamed this long proves the cloud is healthy: backoff starts over. */
const stableAfterMs = 10_000;
/** Answers to requests that already timed out are expected now and then; remember this many ids. */
const lateAnswersKept = 256;
/** While waiting for the socket to drain, look again this often in case no send callback is pending. */
const drainRecheckMs = 50;
/** Frames above maxFrameBytes are counted and dropped; only beyond this does ws itself close (1009). */
const hardFrameCeiling = 64 * 1024 * 1024;

export class Uplink {
  #state: UplinkState = 'idle';
  readonly #opts: UplinkOptions;
  readonly #log: Logger;
  readonly #random: () => number;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #sentSeq = 0;
  #ackedSeq = 0;
  #timers = new Set<NodeJS.Timeout>();
  #retryTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #missedPongs = 0;
  #invalidFrames = new InvalidFrames();
  #requests = new Map<string, OpenRequest>();
  #timedOut = new Set<string>();
  #unsubscribe: (() => void) | undefined;
  #waitingForDrain = false;
  #connectedAt = 0;
  readonly stats = {
    connections: 0,
    reconnects: 0,
    invalidFrames: 0,
    eventsSent: 0,
    acks: 0,
    /** When the cloud last acknowledged events, ms since the epoch; 0 before it has. */
    lastAckAt: 0,
    lastError: '',
  };

  constructor(opts: UplinkOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#random = opts.random ?? Math.random;
  }

  get state(): UplinkState {
    return this.#state;
  }

  /** Highest seq the cloud acknowledged on this run. */
  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  get sentSeq(): number {
    return this.#sentSeq;
  }

  /** Bytes written to the socket and not yet sent on: how far behind a slow link is. */
  get bufferedBytes(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Starts connecting; events committed to the source flow as soon as the cloud welcomes the hub. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#unsubscribe = this.#opts.source.onCommit(() => this.#pump());
    this.#connect();
  }

  /** Resolves once the cloud acknowledged every committed event, or after `timeoutMs`; true if all were. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (
      this.#ackedSeq < this.#opts.source.lastSeq &&
      this.#state === 'streaming' &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.#ackedSeq >= this.#opts.source.lastSeq;
  }

  /** Stops for good: closes the socket, fails open requests. Events not yet acknowledged stay in the outbox. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#unsubscribe?.();
    for (const t of this.#timers) clearTimeout(t);
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#failRequests('stopped', 'the hub is stopping');
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1001, 'hub stopping');
    });
  }

  /** Asks the cloud; rejects with RequestError `offline` at once when not connected, `timeout` after `timeoutMs`. */
  request(method: string, params: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    const ws = this.#ws;
    if (this.#state !== 'streaming' || !ws)
      return Promise.reject(new RequestError('offline', 'the cloud is not connected'));
    const id = randomUUID();
    const ms = timeoutMs ?? this.#opts.settings.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        this.#timedOut.add(id);
        if (this.#timedOut.size > lateAnswersKept)
          this.#timedOut.delete(this.#timedOut.values().next().value as string);
        reject(new RequestError('timeout', `the cloud did not answer ${method} within ${ms} ms`));
      }, ms);
      this.#requests.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ type: 'request', id, method, params }));
    });
  }

  #connect(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'connecting';
    this.stats.connections++;
    const { settings, url, token } = this.#opts;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, subprotocol, {
        headers: { authorization: `Bearer ${token.reveal()}` },
        maxPayload: Math.max(hardFrameCeiling, settings.maxFrameBytes),
        handshakeTimeout: settings.helloTimeoutMs,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (err) {
      // The config check catches bad URLs; this keeps one that slips through from killing the daemon.
      this.stats.lastError = err instanceof Error ? err.message : String(err);
      this.#state = 'waiting';
      this.#retry(0, this.stats.lastError);
      return;
    }
    this.#ws = ws;
    this.#invalidFrames = new InvalidFrames();
    this.#waitingForDrain = false;
    let refusedFor = 0;
    let failure = '';

    ws.on('unexpected-response', (req, res) => {
      refusedFor = res.statusCode ?? 0;
      req.destroy();
      ws.terminate();
    });
    ws.on('open', () => {
      if (ws.protocol !== subprotocol) {
        this.#log.error({ protocol: ws.protocol }, 'the cloud did not accept subprotocol store-gateway.v1');
        ws.close(1002, 'subprotocol store-gateway.v1 required');
        return;
      }
      this.#state = 'handshaking';
      const { hubId, storeId } = this.#opts.hub;
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: protocolVersion,
          hubId,
          storeId,
          version: this.#opts.version,
        }),
      );
      this.#after(settings.helloTimeoutMs, () => {
        if (this.#ws === ws && this.#state === 'handshaking') {
          this.#log.warn({ ms: settings.helloTimeoutMs }, 'no welcome from the cloud; reconnecting');
          ws.terminate();
        }
      });
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.#invalid(ws, 'binary frame');
      else if (data.length > settings.maxFrameBytes)
        this.#invalid(ws, `frame of ${data.length} bytes is too large`);
      else this.#onFrame(ws, data.toString());
    });
    ws.on('pong', () => {
      this.#missedPongs = 0;
    });
    ws.on('error', (err) => {
      failure = err.message;
      this.stats.lastError = err.message;
    });
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      clearInterval(this.#pingTimer);
      this.#failRequests('offline', 'the connection to the cloud was lost');
      if (this.#state === 'stopped') return;
      const wasStreaming = this.#state === 'streaming';
      if (wasStreaming && Date.now() - this.#connectedAt >= stableAfterMs) this.#attempt = 0;
      this.#state = 'waiting';
      // 1006 says only that the socket went away; the error before it says why (refused, reset, timeout).
      const why = code === 1006 && failure ? failure : `closed ${code}${reason.length ? ` ${reason}` : ''}`;
      this.#retry(refusedFor, why);
    });
  }

  #retry(httpStatus: number, why: string): void {
    const s = this.#opts.settings;
    let delay: number;
    if (httpStatus === 401 || httpStatus === 403) {
      // A refused token will not fix itself in milliseconds; retrying fast would only flood the cloud's logs.
      delay = s.rejectedRetryMs * (0.9 + 0.2 * this.#random());
      this.stats.lastError = `the cloud refused the token (HTTP ${httpStatus})`;
      this.#log.error({ httpStatus, retryInMs: Math.round(delay) }, this.stats.lastError);
    } else {
      this.#attempt = Math.min(this.#attempt + 1, 30);
      delay = retryDelay(
        this.#attempt,
        { minMs: s.reconnectMinMs, maxMs: s.reconnectMaxMs, stableMs: stableAfterMs },
        this.#random,
      );
      this.#log.warn(
        {
          retryInMs: Math.round(delay),
          reason: httpStatus ? `HTTP ${httpStatus}` : why,
          url: redactUrl(this.#opts.url),
        },
        'cloud connection down; retrying',
      );
    }
    this.stats.reconnects++;
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #onFrame(ws: WebSocket, text: string): void {
    try {
      this.#handleFrame(ws, text);
    } catch (err) {
      // A frame the hub cannot handle (the outbox failing under it) must not take the daemon down.
      this.#log.error({ err }, 'could not handle a frame from the cloud; reconnecting');
      ws.terminate();
    }
  }

  #handleFrame(ws: WebSocket, text: string): void {
    const parsed = parseCloudFrame(text);
    if ('invalid' in parsed) {
      this.#invalid(ws, parsed.invalid);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'welcome':
        this.#onWelcome(ws, frame.ackedSeq);
        break;
      case 'ack':
        this.#onAck(ws, frame.seq);
        break;
      case 'response':
        this.#onResponse(ws, frame.id, frame.result, frame.error);
        break;
      case 'command':
        this.#onCommandFrame(ws, frame);
        break;
    }
  }

  #onWelcome(ws: WebSocket, ackedSeq: number): void {
    if (this.#state !== 'handshaking') {
      this.#invalid(ws, 'welcome outside the handshake');
      return;
    }
    const source = this.#opts.source;
    if (ackedSeq > source.lastSeq) source.skipTo(ackedSeq);
    else if (ackedSeq < source.ackedSeq)
      // The cloud lost what it had acknowledged (a restore, a lagging replica); the hub deleted it already.
      this.#log.error(
        { cloudAckedSeq: ackedSeq, hubAckedSeq: source.ackedSeq },
        'the cloud lost events it had acknowledged; they cannot be sent again',
      );
    else source.ack(ackedSeq);
    this.#ackedSeq = Math.max(ackedSeq, source.ackedSeq);
    this.#sentSeq = this.#ackedSeq;
    this.#connectedAt = Date.now();
    this.#missedPongs = 0;
    this.#state = 'streaming';
    this.#log.info(
      { ackedSeq, lastSeq: source.lastSeq, url: redactUrl(this.#opts.url) },
      'connected to the cloud',
    );
    this.#pingTimer = setInterval(() => {
      if (this.#missedPongs >= 2) {
        this.#log.warn({ missedPongs: this.#missedPongs }, 'the cloud stopped answering pings; reconnecting');
        ws.terminate();
        return;
      }
      this.#missedPongs++;
      ws.ping();
    }, this.#opts.settings.pingIntervalMs);
    this.#pump();
  }

  #onAck(ws: WebSocket, seq: number): void {
    if (this.#state !== 'streaming') {
      this.#invalid(ws, 'ack before welcome');
      return;
    }
    if (seq > this.#sentSeq) {
      this.#invalid(ws, `ack for seq ${seq}, never sent (highest sent ${this.#sentSeq})`);
      return;
    }
    this.stats.acks++;
    this.stats.lastAckAt = Date.now();
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = seq;
    this.#opts.source.ack(seq);
    this.#pump();
  }

  #onResponse(ws: WebSocket, id: string, result: unknown, error?: { code: string; message: string }): void {
    const open = this.#requests.get(id);
    if (!open && this.#timedOut.delete(id)) return;
    if (!open) {
      this.#invalid(ws, 'response to no open request');
      return;
    }
    this.#requests.delete(id);
    clearTimeout(open.timer);
    if (error) open.reject(new RequestError(error.code, error.message));
    else open.resolve(result);
  }

  #onCommandFrame(ws: WebSocket, command: CommandFrame): void {
    if (this.#state !== 'streaming') {
      this.#invalid(ws, 'command before welcome');
      return;
    }
    const handler =
      this.#opts.onCommand ??
      (async (): Promise<CommandOutcome> => ({
        ok: false,
        error: { code: 'unknown_command', message: 'this hub takes no commands' },
      }));
    handler(command)
      .catch(
        (err): CommandOutcome => ({
          ok: false,
          error: { code: 'internal', message: err instanceof Error ? err.message : String(err) },
        }),
      )
      .then((outcome) => {
        if (ws.readyState === WebSocket.OPEN)
          ws.send(JSON.stringify({ type: 'command.result', id: command.id, ...outcome }));
      });
  }

  /** Sends what the window and the socket's buffer allow; called on commit, ack, welcome and drain. */
  #pump(): void {
    const ws = this.#ws;
    if (this.#state !== 'streaming' || !ws || this.#waitingForDrain) return;
    const { maxInFlight, maxBufferedBytes } = this.#opts.settings;
    while (this.#sentSeq < this.#opts.source.lastSeq) {
      const room = maxInFlight - (this.#sentSeq - this.#ackedSeq);
      if (room <= 0) return;
      if (ws.bufferedAmount >= maxBufferedBytes) {
        // The last frame of each batch calls back once it left the buffer; pumping resumes from there,
        // or from a recheck when the buffer was filled by other frames (requests, command results).
        this.#waitingForDrain = true;
        this.#after(drainRecheckMs, () => {
          if (!this.#waitingForDrain || this.#ws !== ws) return;
          this.#waitingForDrain = false;
          this.#pump();
        });
        return;
      }
      const events = this.#opts.source.readAfter(this.#sentSeq, Math.min(room, readBatch));
      if (events.length === 0) return;
      const last = events.length - 1;
      for (let i = 0; i < last; i++) ws.send(eventFrame(events[i] as Envelope));
      ws.send(eventFrame(events[last] as Envelope), () => {
        if (!this.#waitingForDrain) return;
        this.#waitingForDrain = false;
        this.#pump();
      });
      this.#sentSeq = (events[last] as Envelope).seq;
      this.stats.eventsSent += events.length;
    }
  }

  #invalid(ws: WebSocket, reason: string): void {
    this.stats.invalidFrames++;
    const recent = this.#invalidFrames.note(Date.now());
    if (recent === 1) this.#log.warn({ reason }, 'invalid frame from the cloud dropped');
    if (recent > maxInvalidFrames) {
      this.#log.error({ count: recent, reason }, 'too many invalid frames from the cloud; disconnecting');
      ws.close(1008, 'too many invalid frames');
    }
  }

  #failRequests(code: string, message: string): void {
    for (const [id, open] of this.#requests) {
      clearTimeout(open.timer);
      open.reject(new RequestError(code, message));
      this.#requests.delete(id);
    }
  }

  #after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }
}

/** The URL without user info, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
