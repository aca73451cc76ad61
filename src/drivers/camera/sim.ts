// A camera whose health the simulated store can spoil: off the network (probes fail), frozen on one
// picture while it keeps streaming, or stuttering (a low frame rate).
import type { Random } from '../../system/random.js';
import type { CameraProbe, CameraProbeResult } from './port.js';

const NOMINAL_FPS = 15;

export class SimCamera implements CameraProbe {
  readonly id: string;
  readonly #random: Random;
  #failure: string | undefined;
  #fps: number | undefined;
  #frozen = false;
  #closed = false;

  constructor(id: string, random: Random) {
    this.id = id;
    this.#random = random;
  }

  /** Answers at once: ok at about 15 fps, ok at the degraded rate or frozen, or not ok with the fault's reason. */
  async probe(signal?: AbortSignal): Promise<CameraProbeResult> {
    signal?.throwIfAborted();
    if (this.#closed) return { ok: false, reason: 'probe closed' };
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    const fps = this.#fps ?? NOMINAL_FPS + this.#random.between(-0.5, 0.5);
    const latencyMs = round(this.#random.between(20, 60));
    return { ok: true, fps: round(fps), latencyMs, ...(this.#frozen ? { frozen: true } : {}) };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The camera drops off the network: probes fail with `reason`. */
  fail(reason: string): void {
    this.#failure = reason;
  }

  /** The stream stutters: probes succeed at `fps`. */
  degrade(fps: number): void {
    this.#fps = fps;
  }

  /** The picture freezes while frames keep coming: probes succeed, frozen. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Back to a healthy stream. */
  recover(): void {
    this.#failure = undefined;
    this.#fps = undefined;
    this.#frozen = false;
  }

  get faulted(): boolean {
    return this.#failure !== undefined || this.#fps !== undefined || this.#frozen;
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
