// Probes an RTSP camera the way a viewer would, for a couple of seconds: OPTIONS, DESCRIBE, SETUP of
// the first video track (RTP interleaved in the RTSP connection, so no UDP ports to open), PLAY, count
// frames, TEARDOWN. The hub never decodes: frames are counted and hashed from their RTP packets.
import { connect, type Socket } from 'node:net';
import type { Clock } from '../../system/clock.js';
import { Authorizer, pickChallenge, whyUnauthorized } from './auth.js';
import type { CameraProbe, CameraProbeResult } from './port.js';
import { CameraDown, type ProbeScope, runProbe, socketFailure, tame } from './probe-scope.js';
import { FrameCounter } from './rtp-frames.js';
import { type RtspHeaders, RtspMessageParser, type RtspProtocolError } from './rtsp-messages.js';
import { firstVideoTrack } from './sdp.js';
import { type CameraUrl, cameraWhere, parseCameraUrl, redactUrl } from './url.js';

export interface RtspProbeOptions {
  /** How long frames are counted after PLAY. Default 2000. */
  playMs?: number;
  /** The longest wait for the connection and for each answer. Default 5000. */
  timeoutMs?: number;
  clock?: Clock;
}

interface Response {
  status: number;
  statusText: string;
  headers: RtspHeaders;
  body: Buffer;
}

// TEARDOWN is a courtesy: the socket closes anyway, so a camera slow to answer it is not waited for long.
const TEARDOWN_WAIT_MS = 1000;

export class RtspProbe implements CameraProbe {
  readonly #url: CameraUrl;
  readonly #playMs: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock | undefined;
  #closed = false;

  /** Throws (with the URL redacted) when `url` is not an rtsp:// URL. */
  constructor(url: string, options: RtspProbeOptions = {}) {
    this.#url = parseCameraUrl(url);
    if (this.#url.scheme !== 'rtsp') throw new Error(`camera URL ${redactUrl(url)} is not rtsp://`);
    this.#playMs = options.playMs ?? 2000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#clock = options.clock;
  }

  /** Plays the stream for `playMs` and measures it; ok only if at least one whole frame arrived. */
  async probe(signal?: AbortSignal): Promise<CameraProbeResult> {
    if (this.#closed) return { ok: false, reason: 'probe closed' };
    return runProbe(signal, this.#clock, (scope) => this.#play(scope));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async #play(scope: ProbeScope): Promise<CameraProbeResult> {
    const started = scope.clock.now();
    const rtsp = await RtspConversation.open(scope, this.#url, this.#timeoutMs);
    const fail = (method: string, r: Response) => new CameraDown(refusal(method, r, this.#url));

    const options = await rtsp.request('OPTIONS', this.#url.href);
    const latencyMs = scope.clock.now() - started;
    if (options.status === 401) throw fail('OPTIONS', options);

    const describe = await rtsp.request('DESCRIBE', this.#url.href, { Accept: 'application/sdp' });
    if (describe.status !== 200) throw fail('DESCRIBE', describe);
    const base =
      describe.headers.get('content-base') ?? describe.headers.get('content-location') ?? this.#url.href;
    const video = firstVideoTrack(describe.body.toString('utf8'), base);
    if (!video) throw new CameraDown(`${rtsp.where} describes no video track`);

    const setup = await rtsp.request('SETUP', video.control, {
      Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
    });
    if (setup.status !== 200) throw fail('SETUP', setup);
    const session = setup.headers.get('session')?.split(';')[0]?.trim();
    if (!session) throw new CameraDown(`${rtsp.where} answered RTSP SETUP without a Session`);
    rtsp.session = session;
    const channel = Number(/interleaved=(\d+)/.exec(setup.headers.get('transport') ?? '')?.[1] ?? 0);

    // Frames may arrive before the PLAY reply: count from the moment PLAY is sent.
    const playSent = scope.clock.now();
    const frames = new FrameCounter(playSent, video.clockRate);
    rtsp.onPacket = (ch, data, at) => {
      if (ch === channel) frames.add(data, at);
    };
    const play = await rtsp.request('PLAY', video.aggregate, { Range: 'npt=0.000-' });
    if (play.status !== 200) throw fail('PLAY', play);
    await rtsp.hold(playSent + this.#playMs - scope.clock.now());
    const measures = frames.measures(scope.clock.now());
    rtsp.onPacket = undefined;
    await rtsp
      .request('TEARDOWN', video.aggregate, {}, Math.min(this.#timeoutMs, TEARDOWN_WAIT_MS))
      .catch(() => {});

    if (measures.frames === 0) {
      const what = measures.kbps > 0 ? 'packets but no whole frame' : 'no frame';
      throw new CameraDown(`${what} within ${this.#playMs} ms of PLAY from ${rtsp.where}`);
    }
    return {
      ok: true,
      latencyMs,
      fps: measures.fps,
      kbps: measures.kbps,
      firstFrameMs: measures.firstFrameMs,
      frozen: measures.frozen,
    };
  }
}

/** One RTSP connection: requests matched to replies by CSeq, interleaved packets handed on. */
class RtspConversation {
  readonly where: string;
  session: string | undefined;
  /** Where interleaved packets go; none are wanted before PLAY or after the count. */
  onPacket: ((channel: number, data: Buffer, at: number) => void) | undefined;
  readonly #scope: ProbeScope;
  readonly #socket: Socket;
  readonly #url: CameraUrl;
  readonly #timeoutMs: number;
  readonly #parser = new RtspMessageParser();
  #cseq = 0;
  #authorizer: Authorizer | undefined;
  #waiting: { cseq?: number; resolve: (r: Response) => void; reject: (e: CameraDown) => void } | undefined;
  #failure: CameraDown | undefined;

  private constructor(scope: ProbeScope, url: CameraUrl, timeoutMs: number) {
    this.#scope = scope;
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.where = cameraWhere(url);
    this.#socket = scope.own(connect({ host: url.host, port: url.port }));
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#socket.on('error', (error) => this.#fail(socketFailure(error, this.where)));
    this.#socket.on('close', () => this.#fail(new CameraDown(`${this.where} closed the connection`)));
  }

  /** Connects, or fails with the reason (refused, unreachable, no connection within the timeout). */
  static async open(scope: ProbeScope, url: CameraUrl, timeoutMs: number): Promise<RtspConversation> {
    const rtsp = new RtspConversation(scope, url, timeoutMs);
    await rtsp.#wait(timeoutMs, `no connection to ${rtsp.where} within ${timeoutMs} ms`, undefined, (done) =>
      rtsp.#socket.once('connect', done),
    );
    return rtsp;
  }

  /** Sends a request and waits for its reply; a 401 is answered once with the URL's credentials. */
  async request(method: string, uri: string, headers: Record<string, string> = {}, timeoutMs?: number) {
    const reply = await this.#send(method, uri, headers, timeoutMs);
    const challenge = reply.status === 401 ? pickChallenge(reply.headers.all('www-authenticate')) : undefined;
    if (!challenge || !this.#url.credentials) return reply;
    this.#authorizer = new Authorizer(challenge, this.#url.credentials);
    return this.#send(method, uri, headers, timeoutMs);
  }

  /** Waits `ms` while packets flow; fails early if the connection does. */
  async hold(ms: number): Promise<void> {
    await this.#wait(Math.max(0, ms), undefined, undefined, () => {});
  }

  #send(method: string, uri: string, headers: Record<string, string>, timeoutMs = this.#timeoutMs) {
    const cseq = ++this.#cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, 'User-Agent: store-gateway'];
    if (this.#authorizer) lines.push(`Authorization: ${this.#authorizer.header(method, uri)}`);
    if (this.session !== undefined) lines.push(`Session: ${this.session}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const noAnswer = `no answer to RTSP ${method} from ${this.where} within ${timeoutMs} ms`;
    return this.#wait<Response>(timeoutMs, noAnswer, cseq, () =>
      this.#socket.write(`${lines.join('\r\n')}\r\n\r\n`),
    );
  }

  // One wait at a time: for the connection, a reply (by CSeq), or the end of a hold. On timeout it
  // fails with `late` when given (the conversation is over) or resolves (a hold that ran its course).
  // A failure always finds a wait to reject: socket events are macrotasks, and between two waits the
  // probe runs only microtasks.
  #wait<T = void>(
    ms: number,
    late: string | undefined,
    cseq: number | undefined,
    start: (done: () => void) => void,
  ) {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#scope.after(ms, () =>
        late === undefined ? settle(() => resolve(undefined as T)) : this.#fail(new CameraDown(late)),
      );
      const settle = (then: () => void) => {
        this.#scope.cancel(timer);
        this.#waiting = undefined;
        then();
      };
      this.#waiting = {
        cseq,
        resolve: (r) => settle(() => resolve(r as T)),
        reject: (e) => settle(() => reject(e)),
      };
      start(() => settle(() => resolve(undefined as T)));
    });
  }

  #receive(chunk: Buffer): void {
    const at = this.#scope.clock.now();
    let pieces: ReturnType<RtspMessageParser['push']>;
    try {
      pieces = this.#parser.push(chunk);
    } catch (error) {
      this.#fail(new CameraDown(`${this.where} answered ${(error as RtspProtocolError).message}`));
      this.#socket.destroy();
      return;
    }
    for (const piece of pieces) {
      if (piece.kind === 'interleaved') this.onPacket?.(piece.channel, piece.data, at);
      else if (piece.kind === 'response') {
        const cseq = piece.headers.get('cseq');
        // A reply to an earlier request (one that timed out) is not this one's.
        const mine = cseq === undefined || Number(cseq) === this.#waiting?.cseq;
        if (mine && this.#waiting?.cseq !== undefined) this.#waiting.resolve(piece);
      }
      // A request from the camera (ANNOUNCE, GET_PARAMETER) goes unanswered: the probe is short.
    }
  }

  #fail(failure: CameraDown): void {
    this.#failure ??= failure;
    this.#waiting?.reject(this.#failure);
  }
}

/** A non-success reply in a technician's words; the status text is the camera's, so it is tamed. */
function refusal(method: string, reply: Response, url: CameraUrl): string {
  const text = tame(reply.statusText);
  const said = `RTSP ${method} answered ${reply.status}${text ? ` ${text}` : ''} (${cameraWhere(url)})`;
  if (reply.status !== 401) return said;
  return `${said}: ${whyUnauthorized(url.credentials, reply.headers.all('www-authenticate'))}`;
}
