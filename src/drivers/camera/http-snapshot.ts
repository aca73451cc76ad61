// Probes a camera by fetching its snapshot (the JPEG most cameras serve over HTTP): it answers, the
// answer is a picture of bounded size, and the picture differs from the last probe's. A camera whose
// encoder hangs often keeps serving the last picture, so the same bytes twice is reported as frozen.
import { createHash } from 'node:crypto';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Clock } from '../../system/clock.js';
import { Authorizer, pickChallenge, whyUnauthorized } from './auth.js';
import type { CameraProbe, CameraProbeResult } from './port.js';
import { CameraDown, type ProbeScope, runProbe, socketFailure, tame } from './probe-scope.js';
import { type CameraUrl, cameraWhere, parseCameraUrl, redactUrl } from './url.js';

export interface HttpSnapshotOptions {
  /** The longest wait for the whole snapshot, headers and body. Default 5000. */
  timeoutMs?: number;
  /** A bigger snapshot is refused rather than held in memory. Default 8 MiB. */
  maxBytes?: number;
  clock?: Clock;
}

export class HttpSnapshotProbe implements CameraProbe {
  readonly #url: CameraUrl;
  readonly #where: string;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #clock: Clock | undefined;
  #lastHash: string | undefined;
  #closed = false;

  /** Throws (with the URL redacted) when `url` is not an http:// or https:// URL. */
  constructor(url: string, options: HttpSnapshotOptions = {}) {
    this.#url = parseCameraUrl(url);
    if (this.#url.scheme !== 'http' && this.#url.scheme !== 'https')
      throw new Error(`camera URL ${redactUrl(url)} is not http:// or https://`);
    this.#where = cameraWhere(this.#url);
    const parsed = new URL(this.#url.href);
    this.#path = parsed.pathname + parsed.search;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.#clock = options.clock;
  }

  /** Fetches one snapshot; frozen when its bytes equal the previous probe's snapshot. */
  async probe(signal?: AbortSignal): Promise<CameraProbeResult> {
    if (this.#closed) return { ok: false, reason: 'probe closed' };
    return runProbe(signal, this.#clock, (scope) => this.#snapshot(scope));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async #snapshot(scope: ProbeScope): Promise<CameraProbeResult> {
    const started = scope.clock.now();
    const late = `no snapshot from ${this.#where} within ${this.#timeoutMs} ms`;
    const deadline = new Promise<never>((_, reject) =>
      scope.after(this.#timeoutMs, () => {
        scope.stop();
        reject(new CameraDown(late));
      }),
    );
    deadline.catch(() => {});
    let reply = await Promise.race([this.#get(scope, undefined), deadline]);
    const latencyMs = scope.clock.now() - started;
    const challenge = reply.statusCode === 401 ? pickChallenge(challenges(reply)) : undefined;
    if (challenge && this.#url.credentials) {
      reply.resume();
      const authorizer = new Authorizer(challenge, this.#url.credentials);
      reply = await Promise.race([this.#get(scope, authorizer.header('GET', this.#path)), deadline]);
    }
    this.#check(reply);
    const hash = await Promise.race([this.#read(reply), deadline]);
    const frozen = hash === this.#lastHash;
    this.#lastHash = hash;
    return { ok: true, latencyMs, frozen };
  }

  /** Resolves with the response once its headers are in. */
  #get(scope: ProbeScope, authorization: string | undefined): Promise<IncomingMessage> {
    const send = this.#url.scheme === 'https' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { Accept: 'image/*', 'User-Agent': 'store-gateway' };
    // Credentials go only in answer to a challenge: sent unasked, Basic would show the password to a
    // Digest camera (and anyone on the way) in clear.
    if (authorization) headers.Authorization = authorization;
    // No agent: a pooled keep-alive socket would outlive the probe.
    const options = { host: this.#url.host, port: this.#url.port, path: this.#path, headers, agent: false };
    return new Promise((resolve, reject) => {
      const req: ClientRequest = send(options, resolve);
      scope.onStop(() => req.destroy());
      req.on('socket', (socket: Socket) => scope.own(socket));
      req.on('error', (error) => reject(httpFailure(error, this.#where)));
      req.end();
    });
  }

  #check(reply: IncomingMessage): void {
    // A client-side response always has both.
    const status = reply.statusCode as number;
    if (status < 200 || status > 299) {
      const text = tame(reply.statusMessage as string);
      const why = `snapshot GET answered ${status}${text ? ` ${text}` : ''} (${this.#where})`;
      if (status !== 401) throw new CameraDown(why);
      throw new CameraDown(`${why}: ${whyUnauthorized(this.#url.credentials, challenges(reply))}`);
    }
    const type = reply.headers['content-type'] ?? '';
    if (!/^image\//i.test(type))
      throw new CameraDown(
        `${this.#where} answered ${type ? `"${tame(type.slice(0, 60))}"` : 'no content type'}, not a picture`,
      );
    const length = Number(reply.headers['content-length'] ?? 0);
    if (length > this.#maxBytes) throw new CameraDown(this.#tooBig());
  }

  /** The sha256 of the body, read with its size capped. */
  #read(reply: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const hash = createHash('sha256');
      let bytes = 0;
      reply.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > this.#maxBytes) {
          reply.destroy();
          reject(new CameraDown(this.#tooBig()));
          return;
        }
        hash.update(chunk);
      });
      reply.on('end', () =>
        bytes === 0
          ? reject(new CameraDown(`${this.#where} answered an empty snapshot`))
          : resolve(hash.digest('hex')),
      );
      reply.on('close', () => {
        if (!reply.complete) reject(new CameraDown(`the snapshot from ${this.#where} broke off`));
      });
    });
  }

  #tooBig(): string {
    return `snapshot larger than ${this.#maxBytes} bytes from ${this.#where}`;
  }
}

function challenges(reply: IncomingMessage): string[] {
  return reply.headersDistinct['www-authenticate'] ?? [];
}

/** Socket errors as for any probe; TLS ones say whether the certificate or the handshake is the trouble. */
function httpFailure(error: unknown, where: string): CameraDown {
  const code = String((error as NodeJS.ErrnoException).code);
  if (/CERT|SELF_SIGNED/.test(code))
    return new CameraDown(`the certificate of ${where} is not trusted (${code})`);
  if (/SSL|TLS|EPROTO/.test(code)) return new CameraDown(`TLS with ${where} failed (${code})`);
  return socketFailure(error, where);
}
