// The listeners of one kind of news a driver gives (data, a loss, a board's status): subscribe with
// `add`, which returns the unsubscribe function every DeviceLink method promises, and tell them all.

export class Listeners<T> {
  readonly #set = new Set<(value: T) => void>();

  /** Subscribes; returns the unsubscribe function. */
  add(listener: (value: T) => void): () => void {
    this.#set.add(listener);
    return () => {
      this.#set.delete(listener);
    };
  }

  /**
   * Tells each listener, in the order they came, as long as `live()` holds before each: a listener
   * may close the device, and the ones after it must then hear nothing.
   */
  emit(value: T, live: () => boolean = () => true): void {
    for (const listener of [...this.#set]) if (live()) listener(value);
  }
}
