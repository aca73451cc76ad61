// A fixed number of turns at something costly (a camera probe's stream), handed out in arrival
// order. Whoever holds a turn must give it back; whoever gives up waiting leaves the queue.

/** At most `size` holders at once; the others wait, first come first served. */
export class Slots {
  readonly size: number;
  #busy = 0;
  readonly #queue: { grant: (release: () => void) => void }[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`slots: size must be a whole number ≥ 1, not ${size}`);
    this.size = size;
  }

  /** Resolves with the function that gives the turn back; rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#busy < this.size) {
      this.#busy++;
      return Promise.resolve(this.#release());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: () => void) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Turns in use now. */
  get busy(): number {
    return this.#busy;
  }

  /** Callers waiting for a turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** A release that works once: the turn goes to the next in line, or back to the pool. */
  #release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next.grant(this.#release());
      else this.#busy--;
    };
  }
}
