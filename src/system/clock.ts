// Time as every part of the daemon sees it. Parts take a Clock instead of calling Date.now() and the
// global timers, so tests drive time with a FakeClock and never sleep. XState actors take the same
// object as `createActor(machine, { clock })`.

/** An opaque timer handle: only the clock that made it can clear it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** The wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

interface Timer {
  id: number;
  due: number;
  /** Order of (re)scheduling, to break ties between timers due at the same time. */
  seq: number;
  every: number | undefined;
  fn: () => void;
}

const before = (a: Timer, b: Timer) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * A clock that moves only when told. Timers fire in order of due time (ties in the order they were
 * set, an interval counting as set again each time it fires), each with `now()` equal to its due
 * time, as a real clock would have shown.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #nextSeq = 0;
  readonly #timers = new Map<number, Timer>();
  /** Min-heap by (due, seq); cleared timers stay in it until they surface and are skipped. */
  readonly #queue: Timer[] = [];

  /** Starts at `start` (default 2025-01-01T00:00:00Z) so timestamps read like real ones. */
  constructor(start = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, undefined);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    // Like Node, a zero period would spin; one millisecond is the shortest.
    const every = Math.max(1, ms);
    return this.#add(fn, every, every);
  }

  clearInterval(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, synchronously. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let timer = this.#next(until); timer; timer = this.#next(until)) this.#fire(timer);
    this.#now = until;
  }

  /**
   * Like `advance`, but lets promises settle after each timer, the way they would between two real
   * timers. Use it when the code under test awaits between timers (opening a link, probing a camera).
   */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.#now + ms;
    await flushPromises();
    for (let timer = this.#next(until); timer; timer = this.#next(until)) {
      this.#fire(timer);
      await flushPromises();
    }
    this.#now = until;
  }

  #add(fn: () => void, ms: number, every: number | undefined): number {
    const timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), seq: 0, every, fn };
    this.#timers.set(timer.id, timer);
    this.#push(timer);
    return timer.id;
  }

  #next(until: number): Timer | undefined {
    for (;;) {
      const head = this.#queue[0];
      if (!head || head.due > until) return undefined;
      this.#pop();
      if (this.#timers.get(head.id) === head) return head;
    }
  }

  #fire(timer: Timer): void {
    this.#now = Math.max(this.#now, timer.due);
    if (timer.every === undefined) this.#timers.delete(timer.id);
    else {
      timer.due += timer.every;
      this.#push(timer);
    }
    timer.fn();
  }

  #push(timer: Timer): void {
    timer.seq = this.#nextSeq++;
    const q = this.#queue;
    let i = q.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, q[parent] as Timer)) break;
      q[i] = q[parent] as Timer;
      i = parent;
    }
    q[i] = timer;
  }

  #pop(): void {
    const q = this.#queue;
    const last = q.pop() as Timer;
    if (q.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= q.length) break;
      const right = left + 1;
      const child = right < q.length && before(q[right] as Timer, q[left] as Timer) ? right : left;
      if (!before(q[child] as Timer, last)) break;
      q[i] = q[child] as Timer;
      i = child;
    }
    q[i] = last;
  }
}

/** Resolves once every promise callback already queued has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
