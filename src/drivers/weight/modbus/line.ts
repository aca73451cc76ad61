// One RS-485 line as the master sees it: one request on the wire at a time, the inter-frame silence
// before each, and the reply read against a deadline. What goes wrong on the wire is counted here.
import type { Clock, TimerHandle } from '../../../system/clock.js';
import type { SerialTransport } from '../../serial/transport.js';
import type { BusCounters } from '../port.js';
import { type ReplyOutcome, ReplyReader, replyShape } from './frames.js';

/** How one request ended. `lost`: the port failed or the line was stopped. */
export type Exchange =
  | ReplyOutcome
  | { kind: 'truncated' }
  | { kind: 'timeout' }
  | { kind: 'lost'; reason: string };

/** The time one character (start, 8 data, parity or stop, stop: 11 bits) takes on the wire. */
export function charMs(baudRate: number): number {
  return 11_000 / baudRate;
}

/** The silence t3.5 that ends a frame: 3.5 characters, but 1.75 ms above 19200 baud, as the spec fixes. */
export function frameSilenceMs(baudRate: number): number {
  return baudRate > 19_200 ? 1.75 : 3.5 * charMs(baudRate);
}

interface Wait {
  timer: TimerHandle;
  resolve: () => void;
}

/** A serial transport driven as a Modbus RTU master. Start it once the transport is open. */
export class RtuLine {
  readonly #transport: SerialTransport;
  readonly #clock: Clock;
  readonly #counters: BusCounters;
  readonly #charMs: number;
  readonly #silenceMs: number;
  #stopped = true;
  #unsubscribe: (() => void) | undefined;
  #reader: ReplyReader | undefined;
  #settle: ((exchange: Exchange) => void) | undefined;
  #deadline: TimerHandle | undefined;
  #wait: Wait | undefined;
  /** When the line last carried a byte or a frame ended; the next request waits t3.5 from here. */
  #busySince = Number.NEGATIVE_INFINITY;
  /** Bytes arrived while no reply was awaited, and were counted as one malformed burst. */
  #strayBurst = false;

  constructor(transport: SerialTransport, clock: Clock, counters: BusCounters) {
    this.#transport = transport;
    this.#clock = clock;
    this.#counters = counters;
    this.#charMs = charMs(transport.settings.baudRate);
    this.#silenceMs = frameSilenceMs(transport.settings.baudRate);
  }

  /** Listens to the transport. */
  start(): void {
    this.#stopped = false;
    this.#unsubscribe = this.#transport.onData((chunk) => this.#received(chunk));
  }

  /** Stops listening; an exchange under way ends as `lost`, a wait ends at once. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#finish({ kind: 'lost', reason: 'line stopped' });
    this.wake();
  }

  /**
   * Sends `request` after the inter-frame silence and resolves with how it ended. The deadline is
   * `thinkMs` plus the time the request and its reply take on the wire at this baud rate.
   */
  async transact(request: Uint8Array, thinkMs: number): Promise<Exchange> {
    await this.#silence(thinkMs);
    if (this.#stopped) return { kind: 'lost', reason: 'line stopped' };
    const shape = replyShape(request);
    this.#strayBurst = false;
    this.#reader = new ReplyReader(shape);
    const done = new Promise<Exchange>((resolve) => {
      this.#settle = resolve;
    });
    try {
      await this.#transport.write(request);
    } catch (err) {
      this.#finish({ kind: 'lost', reason: (err as Error).message });
    }
    if (this.#settle) {
      const wireMs = this.#charMs * (request.length + shape.length);
      this.#deadline = this.#clock.setTimeout(() => this.#expire(), Math.ceil(thinkMs + wireMs));
    }
    return done;
  }

  /** Waits `ms`, or less if woken or stopped. */
  wait(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => this.wake(), ms);
      this.#wait = { timer, resolve };
    });
  }

  /** Ends the current wait early. */
  wake(): void {
    const wait = this.#wait;
    if (!wait) return;
    this.#wait = undefined;
    this.#clock.clearTimeout(wait.timer);
    wait.resolve();
  }

  /** Waits until the line has been quiet for t3.5; a line that never falls quiet is not waited on forever. */
  async #silence(limitMs: number): Promise<void> {
    const giveUpAt = this.#clock.now() + limitMs;
    for (;;) {
      const now = this.#clock.now();
      const left = this.#busySince + this.#silenceMs - now;
      if (left <= 0 || now >= giveUpAt || this.#stopped) return;
      await this.wait(Math.ceil(left));
    }
  }

  #received(chunk: Uint8Array): void {
    this.#busySince = this.#clock.now();
    const outcome = this.#reader?.push(chunk);
    if (outcome) this.#finish(outcome);
    else if (!this.#reader && !this.#strayBurst) {
      this.#strayBurst = true;
      this.#counters.malformed++;
    }
  }

  #expire(): void {
    // The deadline is cleared whenever an exchange ends, so a reader is always there.
    const reader = this.#reader as ReplyReader;
    if (reader.sawBadCrc) this.#finish({ kind: 'badCrc' });
    else if (reader.held > 0) this.#finish({ kind: 'truncated' });
    else this.#finish({ kind: 'timeout' });
  }

  #finish(exchange: Exchange): void {
    const settle = this.#settle;
    const reader = this.#reader;
    if (!settle || !reader) return;
    this.#settle = undefined;
    this.#reader = undefined;
    this.#clock.clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.#busySince = Math.max(this.#busySince, this.#clock.now());
    const c = this.#counters;
    if (exchange.kind === 'reply') c.frames++;
    else if (exchange.kind === 'exception') c.deviceErrors++;
    else if (exchange.kind === 'badCrc') c.badCrc++;
    else if (exchange.kind === 'truncated') c.malformed++;
    else if (exchange.kind === 'timeout') c.timeouts++;
    // Noise or a late reply ahead of the answer: one malformed count for the lot.
    if (reader.skipped > 0 && exchange.kind !== 'truncated' && exchange.kind !== 'lost') c.malformed++;
    settle(exchange);
  }
}
