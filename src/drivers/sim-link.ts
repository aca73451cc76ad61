// What every simulated streaming device shares: a cable that can be pulled, and listeners that hear
// the device only while it is open. The scanner and the shelf add what they send.
import type { DeviceLink } from './link.js';

/**
 * A simulated DeviceLink. `open` rejects while unplugged; `unplug` while open tells onLost. Both
 * carry the unplug reason verbatim, so a pulled cable reads the same whether it was noticed while
 * open or on the next attempt.
 */
export class SimLink<T> implements DeviceLink<T> {
  #open = false;
  #unplugged: string | undefined;
  readonly #dataListeners = new Set<(data: T) => void>();
  readonly #lostListeners = new Set<(reason: string) => void>();

  get isOpen(): boolean {
    return this.#open;
  }

  get isPluggedIn(): boolean {
    return this.#unplugged === undefined;
  }

  async open(): Promise<void> {
    if (this.#unplugged !== undefined) throw new Error(this.#unplugged);
    if (this.#open) return;
    this.#open = true;
    this.opened();
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.closed();
  }

  onData(listener: (data: T) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Pulls the cable: an open link is lost with `reason`, and opening fails until `plugIn`. */
  unplug(reason: string): void {
    this.#unplugged = reason;
    if (!this.#open) return;
    this.#open = false;
    this.closed();
    for (const listener of [...this.#lostListeners]) listener(reason);
  }

  /** Puts the cable back. The link stays closed until someone opens it again, as a real one would. */
  plugIn(): void {
    this.#unplugged = undefined;
  }

  /** Hands data to the listeners if the link is open; returns whether anyone could hear it. */
  protected deliver(data: T): boolean {
    if (!this.#open) return false;
    for (const listener of [...this.#dataListeners]) listener(data);
    return true;
  }

  /** Called when the link opens; subclasses start streaming here. */
  protected opened(): void {}

  /** Called when the link closes or is lost; subclasses stop streaming here. */
  protected closed(): void {}
}
