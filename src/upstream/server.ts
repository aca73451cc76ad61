// The reference upstream: a small stand-in for the store cloud that speaks protocol v1 exactly
// (docs/protocol.md). Hubs connect over WebSocket; their events are stored durably and acknowledged
// cumulatively; entry requests are answered; commands can be sent to them. One HTTP port serves both
// the WebSocket and a small API.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventCatalogue, isEventKind } from '../events/catalogue.js';
import { maxInvalidFrames } from '../events/wire.js';
import type { Logger } from '../system/log.js';
import type { HubStats, Upstream, UpstreamEvents, UpstreamOptions } from './api.js';
import { type BearerCheck, bearerCheck } from './auth.js';
import {
  type CommandResultFrame,
  type EventFrame,
  type HelloFrame,
  parseHubFrame,
  protocolVersion,
  type RequestFrame,
  subprotocol,
} from './frames.js';
import { apiHandler, defaultCommandTimeoutMs } from './http.js';
import { CommandError, HubLink } from './link.js';
import { LivePrint } from './print.js';
import { answerRequest } from './requests.js';
import { EventStore, type IncomingEvent, type StoredEvent } from './store.js';

export type { HubStats, Upstream, UpstreamEvents, UpstreamOptions } from './api.js';
export type { CommandResultFrame, StoredEvent };
export { CommandError, subprotocol };

/** Frames gathered beyond this commit at once, so a flood cannot grow one batch without bound. */
const maxBatch = 5000;
const maxFrameBytes = 1024 * 1024;
const defaultPingIntervalMs = 15_000;
const closeGraceMs = 1000;

/** Starts listening; resolves once the port is bound. Throws if the database cannot be opened or the port is taken. */
export async function startUpstream(opts: UpstreamOptions): Promise<Upstream> {
  const store = EventStore.open(opts.dbPath);
  try {
    const upstream = new ReferenceUpstream(opts, store);
    await upstream.listen();
    return upstream;
  } catch (err) {
    store.close();
    throw err;
  }
}

interface Pending {
  link: HubLink;
  incoming: IncomingEvent;
  problem: string | undefined;
}

class ReferenceUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  url = '';
  port = 0;
  readonly #opts: UpstreamOptions;
  readonly #store: EventStore;
  readonly #log: Logger;
  readonly #print: LivePrint | undefined;
  readonly #check: BearerCheck;
  readonly #deny: ReadonlySet<string>;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #links = new Set<HubLink>();
  readonly #current = new Map<string, HubLink>();
  readonly #counters = new Map<string, { invalidFrames: number; connections: number }>();
  #batch: Pending[] = [];
  #flushScheduled = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: UpstreamOptions, store: EventStore) {
    super();
    this.#opts = opts;
    this.#store = store;
    this.#log = opts.log.child({ part: 'upstream' });
    this.#print = opts.print && new LivePrint(opts.print);
    this.#check = bearerCheck(opts.tokens);
    this.#deny = new Set(opts.denyCredentials ?? []);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => (offered.has(subprotocol) ? subprotocol : false),
    });
    this.#server = createServer(
      apiHandler({
        check: this.#check,
        hubs: () => this.#store.hubs().map((h) => ({ ...h, connected: this.#current.has(h.hubId) })),
        hub: (hubId) => this.#store.hub(hubId),
        events: (hubId, after, limit) => this.#store.events(hubId, after, limit),
        sendCommand: (hubId, name, args, timeoutMs) => this.sendCommand(hubId, name, args, timeoutMs),
        refused: (peer, status, reason) => this.#refused(peer, status, reason),
      }),
    );
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
  }

  listen(): Promise<void> {
    const host = this.#opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port ?? 0, host, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        this.port = typeof address === 'object' && address ? address.port : 0;
        this.url = `ws://${host.includes(':') ? `[${host}]` : host}:${this.port}/hub`;
        this.#pingTimer = setInterval(() => {
          for (const link of this.#links) link.pingOrTerminate();
        }, this.#opts.pingIntervalMs ?? defaultPingIntervalMs);
        this.#pingTimer.unref();
        this.#log.info({ url: this.url }, 'reference upstream listening');
        this.#print?.listening(this.url);
        resolve();
      });
    });
  }

  async sendCommand(
    hubId: string,
    name: string,
    args: Record<string, unknown> = {},
    timeoutMs = defaultCommandTimeoutMs,
  ): Promise<CommandResultFrame> {
    if (this.#closing) throw new CommandError('closing', 'the upstream is shutting down');
    const link = this.#current.get(hubId);
    if (!link?.open) throw new CommandError('not_connected', `hub ${hubId} is not connected`);
    const id = randomUUID();
    const result = link.awaitResult(id, name, timeoutMs);
    link.send({ type: 'command', id, name, args });
    this.#print?.command(hubId, name, args);
    this.#log.info({ hubId, id, name }, 'command sent');
    try {
      return await result;
    } catch (err) {
      if (err instanceof CommandError && err.code === 'timeout')
        this.#print?.commandTimeout(hubId, name, timeoutMs);
      throw err;
    }
  }

  events(hubId: string, afterSeq = 0, limit = 1000): StoredEvent[] {
    return this.#store.events(hubId, afterSeq, limit);
  }

  stats(hubId: string): HubStats {
    const hub = this.#store.hub(hubId);
    return {
      ackedSeq: hub?.ackedSeq ?? 0,
      events: hub?.events ?? 0,
      duplicates: hub?.duplicates ?? 0,
      unrecognised: hub?.unrecognised ?? 0,
      invalidFrames: this.#counters.get(hubId)?.invalidFrames ?? 0,
      connections: this.#counters.get(hubId)?.connections ?? 0,
    };
  }

  connectedHubs(): string[] {
    return [...this.#current.keys()].sort();
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    clearInterval(this.#pingTimer);
    this.#print?.closing();
    this.#flush();
    const closed = [...this.#links].map(
      (link) =>
        new Promise<void>((resolve) => {
          // A link leaves #links on its 'close' event, so every link here will still emit one.
          link.closed(new CommandError('closing', 'the upstream is shutting down'));
          const timer = setTimeout(() => link.ws.terminate(), closeGraceMs);
          link.ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          link.close(1001, 'upstream shutting down');
        }),
    );
    await Promise.all(closed);
    this.#wss.close();
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await serverClosed;
    this.#flush();
    this.#store.close();
    this.#log.info('reference upstream closed');
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    socket.on('error', (err) => this.#log.debug({ peer, err: err.message }, 'socket error during upgrade'));
    const refusal = this.#refusal(req);
    if (!refusal) {
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, peer));
      return;
    }
    if (refusal.status !== 503) this.#refused(peer, refusal.status, refusal.reason);
    refuse(socket, refusal.status, refusal.reason);
  }

  /** Why an upgrade is refused, checked in this order: shutting down, token, subprotocol. */
  #refusal(req: IncomingMessage): { status: number; reason: string } | undefined {
    if (this.#closing) return { status: 503, reason: 'the upstream is shutting down' };
    const auth = this.#check(req);
    if (auth !== 'ok') return { status: 401, reason: auth === 'missing' ? 'no bearer token' : 'wrong token' };
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(subprotocol)) return { status: 400, reason: `subprotocol ${subprotocol} required` };
    return undefined;
  }

  #refused(peer: string, status: number, reason: string): void {
    this.#log.warn({ peer, status, reason }, 'refused');
    this.#print?.refused(peer, status, reason);
    this.emit('refused', { peer, status, reason });
  }

  #accept(ws: WebSocket, peer: string): void {
    const link = new HubLink(ws, peer);
    this.#links.add(link);
    ws.on('message', (data, isBinary) => this.#receive(link, data as Buffer, isBinary));
    ws.on('ping', () => link.alive());
    ws.on('pong', () => link.alive());
    // ws closes the socket itself after a protocol error (1009 for a frame over maxPayload).
    ws.on('error', (err) => this.#invalid(link, err.message));
    ws.on('close', (code, reason) => this.#disconnected(link, code, reason.toString('utf8')));
    this.#log.info({ peer }, 'connected');
    this.#print?.connected(peer);
    this.emit('connection', { peer });
  }

  #receive(link: HubLink, data: Buffer, isBinary: boolean): void {
    if (link.replaced || this.#closing) return;
    link.alive();
    const parsed = isBinary ? { invalid: 'binary frame' } : parseHubFrame(data.toString('utf8'));
    if (link.hubId === undefined) this.#start(link, parsed);
    else if ('invalid' in parsed) this.#invalid(link, parsed.invalid);
    else if (parsed.frame.type === 'hello') this.#invalid(link, 'a second hello on the same connection');
    else if (parsed.frame.type === 'event') this.#enqueue(link, parsed.frame);
    else if (parsed.frame.type === 'request') this.#request(link, parsed.frame);
    else this.#commandResult(link, parsed.frame);
  }

  /** The first frame must be a good hello; anything else ends the connection. */
  #start(link: HubLink, parsed: ReturnType<typeof parseHubFrame>): void {
    if ('frame' in parsed && parsed.frame.type === 'hello' && parsed.frame.protocol === protocolVersion) {
      this.#hello(link, parsed.frame);
      return;
    }
    let reason = 'hello expected first';
    if ('frame' in parsed && parsed.frame.type === 'hello') {
      reason = `protocol ${parsed.frame.protocol} not supported; this upstream speaks ${protocolVersion}`;
    } else if ('invalid' in parsed && parsed.invalid.startsWith('bad "hello"')) reason = parsed.invalid;
    this.#log.warn({ peer: link.peer, reason }, 'bad start of connection');
    link.close(1008, reason);
  }

  #hello(link: HubLink, hello: HelloFrame): void {
    const { hubId, storeId, version } = hello;
    // Events still waiting from an older connection are stored first, so welcome tells the truth.
    this.#flush();
    const previous = this.#current.get(hubId);
    if (previous) {
      previous.replaced = true;
      this.#print?.replaced(hubId);
      this.#log.info({ hubId }, 'older connection replaced by a newer one');
      previous.close(4001, 'replaced by a newer connection');
    }
    let ackedSeq: number;
    try {
      ackedSeq = this.#store.hello(hubId, storeId, version);
    } catch (err) {
      this.#log.error({ hubId, err: (err as Error).message }, 'cannot record hello');
      link.close(1011, 'storage failure; try again later');
      return;
    }
    link.hubId = hubId;
    this.#current.set(hubId, link);
    this.#counter(hubId).connections++;
    link.send({ type: 'welcome', ackedSeq });
    this.#log.info({ hubId, storeId, version, ackedSeq, peer: link.peer }, 'hello');
    this.#print?.hello(hubId, storeId, version, ackedSeq);
    this.emit('hello', { hubId, storeId, version, ackedSeq });
  }

  #enqueue(link: HubLink, frame: EventFrame): void {
    const { seq, id, time, kind, data } = frame;
    let problem: string | undefined = 'unknown kind';
    if (isEventKind(kind)) {
      const checked = eventCatalogue[kind].safeParse(data);
      const issue = checked.error?.issues[0];
      problem = issue && `data.${issue.path.join('.')}: ${issue.message}`;
    }
    const incoming = {
      hubId: link.hubId as string,
      event: { seq, id, time, kind, data },
      recognised: !problem,
    };
    this.#batch.push({ link, incoming, problem });
    if (this.#batch.length >= maxBatch) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Commits what the last tick gathered, in one transaction, then acks each link once. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    let outcome: ReturnType<EventStore['commit']>;
    try {
      outcome = this.#store.commit(batch.map((p) => p.incoming));
    } catch (err) {
      // Nothing of the batch is stored, so nothing is acked; the hubs send it again after reconnecting.
      this.#log.error({ err: (err as Error).message, events: batch.length }, 'cannot store events');
      for (const link of new Set(batch.map((p) => p.link)))
        link.close(1011, 'storage failure; try again later');
      return;
    }
    batch.forEach(({ incoming: { hubId, event }, problem }, i) => {
      const arrival = outcome.arrivals[i];
      if (arrival === 'duplicate') {
        this.#print?.duplicate(hubId, event);
        this.emit('duplicate', { hubId, event });
        return;
      }
      this.#print?.event(hubId, event, problem);
      if (arrival === 'behind') {
        this.#log.warn({ hubId, seq: event.seq }, 'a new event with a seq not after what was stored');
        this.#print?.behind(hubId, event.seq);
      }
      this.emit('event', problem === undefined ? { hubId, event } : { hubId, event, problem });
    });
    for (const link of new Set(batch.map((p) => p.link))) {
      this.#ack(link, outcome.ackedSeq.get(link.hubId as string) as number);
    }
  }

  #ack(link: HubLink, seq: number): void {
    if (this.#opts.dropAcks || link.replaced || !link.open) return;
    const send = () => {
      link.send({ type: 'ack', seq });
      this.emit('ack', { hubId: link.hubId as string, seq });
    };
    const delay = this.#opts.ackDelayMs ?? 0;
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      link.ackTimers.delete(timer);
      send();
    }, delay);
    link.ackTimers.add(timer);
  }

  #request(link: HubLink, frame: RequestFrame): void {
    const hubId = link.hubId as string;
    const { response, summary } = answerRequest(frame, { denyCredentials: this.#deny });
    link.send(response);
    this.#log.info({ hubId, method: frame.method.slice(0, 64), outcome: summary }, 'request answered');
    this.#print?.request(hubId, frame.method, summary);
    this.emit('request', { hubId, method: frame.method, response });
  }

  #commandResult(link: HubLink, frame: CommandResultFrame): void {
    const hubId = link.hubId as string;
    const name = link.settle(frame);
    if (name === undefined) {
      this.#log.info({ hubId, id: frame.id }, 'command.result for no waiting command; ignored');
      this.#print?.lateResult(hubId, frame.id);
    } else {
      this.#log.info({ hubId, id: frame.id, name, ok: frame.ok }, 'command result');
      this.#print?.commandResult(hubId, name, frame);
    }
  }

  #invalid(link: HubLink, reason: string): void {
    const recent = link.noteInvalid(Date.now());
    if (link.hubId !== undefined) this.#counter(link.hubId).invalidFrames++;
    // Logged once with context, then only counted, so a noisy hub cannot flood the log.
    if (recent === 1) this.#log.warn({ hubId: link.who, reason }, 'invalid frame dropped');
    this.#print?.invalid(link.who, reason, recent);
    this.emit('invalid', { who: link.who, reason, recent });
    if (recent > maxInvalidFrames) link.close(1008, 'too many invalid frames');
  }

  #disconnected(link: HubLink, code: number, reason: string): void {
    this.#links.delete(link);
    const hubId = link.hubId;
    if (hubId !== undefined && this.#current.get(hubId) === link) this.#current.delete(hubId);
    link.closed(new CommandError('disconnected', `hub ${link.who} disconnected before answering`));
    this.#log.info({ hubId, peer: link.peer, code, reason }, 'disconnected');
    this.#print?.disconnected(link.who, code, reason);
    this.emit('disconnect', { hubId, peer: link.peer, code, reason });
  }

  #counter(hubId: string): { invalidFrames: number; connections: number } {
    const c = this.#counters.get(hubId) ?? { invalidFrames: 0, connections: 0 };
    this.#counters.set(hubId, c);
    return c;
  }
}

/** Answers an upgrade with a plain HTTP error; nothing from the request is echoed. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
