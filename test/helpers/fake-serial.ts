// A serial port in memory, for driver tests that need exact control of chunk boundaries and timing:
// `receive` hands bytes to the driver as one chunk; `written` holds what the driver sent.
import type { SerialSettings, SerialTransport } from '../../src/drivers/serial/transport.js';

export class FakeSerial implements SerialTransport {
  readonly settings: SerialSettings = {
    path: '/dev/fake',
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
  };
  isOpen = false;
  /** When set, open rejects with this message. */
  refuse: string | undefined;
  /** Every write, decoded as latin1. */
  readonly written: string[] = [];
  /** Called on each write, to script a device's answers. */
  onWrite: ((text: string) => void) | undefined;
  readonly #data = new Set<(chunk: Uint8Array) => void>();
  readonly #lost = new Set<(reason: string) => void>();

  async open(): Promise<void> {
    if (this.refuse !== undefined) throw new Error(this.refuse);
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.isOpen = false;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new Error(`serial port ${this.settings.path} is not open`);
    const text = Buffer.from(bytes).toString('latin1');
    this.written.push(text);
    this.onWrite?.(text);
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lost.add(listener);
    return () => this.#lost.delete(listener);
  }

  /** Delivers `text` (latin1) as one chunk, if the port is open, as the OS would. */
  receive(text: string | Uint8Array): void {
    if (!this.isOpen) return;
    const chunk = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    for (const listener of [...this.#data]) listener(chunk);
  }

  /** Pulls the adapter: the open port is lost with `reason`. */
  unplug(reason = 'serial port /dev/fake disappeared'): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    for (const listener of [...this.#lost]) listener(reason);
  }
}
