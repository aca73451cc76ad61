// What every camera probe shares: a camera that is down is an answer (`ok: false` with a reason),
// not an error; an abort is the only rejection; and nothing a probe opened (sockets, timers) is
// still open when its promise settles.
import { type Clock, systemClock, type TimerHandle } from '../../system/clock.js';
import type { CameraProbeResult } from './port.js';

/** Thrown inside a probe to end it with `{ ok: false, reason: message }`. */
export class CameraDown extends Error {}

/** A socket the scope destroys at its end. */
interface Closable {
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** The sockets and timers of one probe, all closed at its end. */
export class ProbeScope {
  readonly clock: Clock;
  readonly #closables = new Set<Closable>();
  // A socket's `closed` flag turns true at destroy(), before its handle is closed; its 'close' event
  // comes after. Only the event means the file descriptor is gone.
  readonly #closed: Promise<void>[] = [];
  readonly #timers = new Set<TimerHandle>();
  readonly #onStop: (() => void)[] = [];

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /** Tracks a socket, just made, so the scope's end destroys it and waits for it to close. */
  own<T extends Closable>(closable: T): T {
    this.#closables.add(closable);
    this.#closed.push(new Promise<void>((resolve) => closable.once('close', () => resolve())));
    return closable;
  }

  /** Runs `fn` when the scope stops (for what has no `closed` flag to wait on, like an HTTP request). */
  onStop(fn: () => void): void {
    this.#onStop.push(fn);
  }

  /** A timer the scope's end clears if it has not fired. */
  after(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimeout(() => {
      this.#timers.delete(handle);
      fn();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  cancel(handle: TimerHandle): void {
    this.clock.clearTimeout(handle);
    this.#timers.delete(handle);
  }

  /** Tears everything down at once (an abort does not wait). */
  stop(): void {
    for (const handle of this.#timers) this.clock.clearTimeout(handle);
    this.#timers.clear();
    for (const fn of this.#onStop.splice(0)) fn();
    for (const closable of this.#closables) closable.destroy();
  }

  /** Tears everything down and waits until every socket has closed. */
  async end(): Promise<void> {
    this.stop();
    await Promise.all(this.#closed);
    this.#closables.clear();
  }
}

/** Runs one probe: CameraDown and other errors become `ok: false`; rejects only with the abort's reason. */
export async function runProbe(
  signal: AbortSignal | undefined,
  clock: Clock | undefined,
  attempt: (scope: ProbeScope) => Promise<CameraProbeResult>,
): Promise<CameraProbeResult> {
  signal?.throwIfAborted();
  const scope = new ProbeScope(clock);
  // Assigned by the executor, which runs at once.
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      scope.stop();
      reject((signal as AbortSignal).reason);
    };
  });
  // Whichever loses the race must not surface as an unhandled rejection.
  aborted.catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  const result = attempt(scope).catch(
    (error: unknown): CameraProbeResult => ({
      ok: false,
      reason: error instanceof CameraDown ? error.message : `probe failed: ${messageOf(error)}`,
    }),
  );
  try {
    return await Promise.race([result, aborted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await scope.end();
  }
}

/** A socket error in a technician's words, naming only host:port. */
export function socketFailure(error: unknown, where: string): CameraDown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return new CameraDown(`connection refused by ${where}`);
    case 'ECONNRESET':
      return new CameraDown(`connection reset by ${where}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new CameraDown(`${where} is unreachable (${code})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CameraDown(`cannot resolve the camera's host name (${where}, ${code})`);
    default:
      return new CameraDown(`connection to ${where} failed (${code ?? messageOf(error)})`);
  }
}

/** Text from the camera (a status phrase) made safe to show: printable ASCII, bounded. */
export function tame(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
