// The least a camera can show: its port accepts a connection. For cameras (or encoders) whose
// stream the hub cannot or should not pull; it says nothing about the picture.
import { connect } from 'node:net';
import type { Clock } from '../../system/clock.js';
import type { CameraProbe, CameraProbeResult } from './port.js';
import { CameraDown, type ProbeScope, runProbe, socketFailure } from './probe-scope.js';
import { type CameraUrl, cameraWhere, parseCameraUrl } from './url.js';

export interface TcpProbeOptions {
  /** The longest wait for the connection. Default 5000. */
  timeoutMs?: number;
  clock?: Clock;
}

export class TcpProbe implements CameraProbe {
  readonly #url: CameraUrl;
  readonly #timeoutMs: number;
  readonly #clock: Clock | undefined;
  #closed = false;

  /** Takes any camera URL (tcp://host:port, or an rtsp:// or http:// one to knock on its port). */
  constructor(url: string, options: TcpProbeOptions = {}) {
    this.#url = parseCameraUrl(url);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#clock = options.clock;
  }

  /** Connects and closes at once; latencyMs is the time to connect. */
  async probe(signal?: AbortSignal): Promise<CameraProbeResult> {
    if (this.#closed) return { ok: false, reason: 'probe closed' };
    return runProbe(signal, this.#clock, (scope) => this.#knock(scope));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #knock(scope: ProbeScope): Promise<CameraProbeResult> {
    const where = cameraWhere(this.#url);
    const started = scope.clock.now();
    return new Promise((resolve, reject) => {
      const socket = scope.own(connect({ host: this.#url.host, port: this.#url.port }));
      socket.once('connect', () => resolve({ ok: true, latencyMs: scope.clock.now() - started }));
      socket.once('error', (error) => reject(socketFailure(error, where)));
      scope.after(this.#timeoutMs, () =>
        reject(new CameraDown(`no connection to ${where} within ${this.#timeoutMs} ms`)),
      );
    });
  }
}
