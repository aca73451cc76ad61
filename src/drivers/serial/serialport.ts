// The real serial adapter, over serialport 13. The package (and its native binding) is imported on
// the first open, so a hub without serial devices never loads it.
import type { SerialPort } from 'serialport';
import { systemClock } from '../../system/clock.js';
import { type PresenceWatch, watchPath } from '../presence.js';
import { guardHangup } from './hangup.js';
import type { OpenSerial, SerialSettings, SerialTransport } from './transport.js';

/** Opens real serial ports (USB-RS485 adapters, USB-CDC devices, pseudo-terminals). */
export const openSerialPort: OpenSerial = (settings) => new NodeSerialTransport(settings);

/** Says what a technician should check when the OS refuses to open `path` with `message`. */
export function explainOpenError(path: string, message: string): string {
  const detail = message.replace(/^Error:?\s*/, '');
  if (/no such file|ENOENT|no such device|ENODEV/i.test(detail))
    return `no serial port at ${path}: is the adapter plugged in? Prefer a /dev/serial/by-id/ path`;
  if (/permission denied|EACCES|EPERM|operation not permitted/i.test(detail))
    return `permission denied on ${path}: the service user needs the dialout group or a udev rule`;
  if (/cannot lock|resource busy|EBUSY|temporarily unavailable/i.test(detail))
    return `${path} is in use by another program`;
  return `cannot open serial port ${path}: ${detail}`;
}

type SerialPortModule = typeof import('serialport');

let loading: Promise<SerialPortModule> | undefined;

async function loadSerialport(): Promise<SerialPortModule> {
  loading ??= import('serialport').catch(
    /* c8 ignore start -- only when the native binding is missing or broken on this machine */
    (err: unknown) => {
      loading = undefined;
      throw new Error(`cannot load the serial port driver (serialport): ${(err as Error).message}`);
    },
    /* c8 ignore stop */
  );
  return loading;
}

let guarded: unknown;

function guardedBinding(serialPort: SerialPortModule['SerialPort']) {
  guarded ??= guardHangup(serialPort.binding);
  return guarded;
}

class NodeSerialTransport implements SerialTransport {
  readonly settings: SerialSettings;
  #port: SerialPort | undefined;
  #opening: Promise<void> | undefined;
  /** An open that a close cut short, until it has let go of the port. */
  #abandoned: Promise<void> | undefined;
  /** Bumped by close, so an open that finishes after a close knows it is no longer wanted. */
  #generation = 0;
  readonly #dataListeners = new Set<(chunk: Uint8Array) => void>();
  readonly #lostListeners = new Set<(reason: string) => void>();
  #presence: PresenceWatch | undefined;

  constructor(settings: SerialSettings) {
    this.settings = settings;
  }

  open(): Promise<void> {
    if (this.#port) return Promise.resolve();
    if (this.#opening) return this.#opening;
    // An open cut short by a close is still letting go of the port: wait for it, then open afresh
    // (at once, the port would be busy with the one closing).
    const before = this.#abandoned ?? Promise.resolve();
    const generation = this.#generation;
    const opening: Promise<void> = before
      .then(() => this.#open(generation))
      .finally(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
    this.#opening = opening;
    return opening;
  }

  async close(): Promise<void> {
    this.#generation++;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening) {
      const abandoned: Promise<void> = opening
        .catch(() => {})
        .finally(() => {
          if (this.#abandoned === abandoned) this.#abandoned = undefined;
        });
      this.#abandoned = abandoned;
    }
    const port = this.#port;
    this.#port = undefined;
    if (port) await closeQuietly(port);
  }

  async write(bytes: Uint8Array): Promise<void> {
    const { path } = this.settings;
    const port = this.#port;
    if (!port) throw new Error(`serial port ${path} is not open`);
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const failed = (err: Error) => new Error(`writing to ${path} failed: ${err.message}`);
    await new Promise<void>((resolve, reject) => {
      port.write(chunk, (err) => (err ? reject(failed(err)) : resolve()));
    });
    // drain() on a closed port waits for the next open, which may never come.
    if (!port.isOpen) throw new Error(`serial port ${path} closed while writing`);
    await new Promise<void>((resolve, reject) => {
      port.drain((err) => (err ? reject(failed(err)) : resolve()));
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#dataListeners.add(listener);
    return () => this.#dataListeners.delete(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  onPresence(listener: (present: boolean) => void): () => void {
    this.#presence ??= watchPath(this.settings.path, systemClock);
    return this.#presence.subscribe(listener);
  }

  /** Opens the port for `generation`: a close since then makes it let go again and fail. */
  async #open(generation: number): Promise<void> {
    const { SerialPort } = await loadSerialport();
    const { path, baudRate, dataBits, parity, stopBits } = this.settings;
    // serialport's typings hide the `binding` option its constructor honours.
    const options = {
      path,
      baudRate,
      dataBits,
      parity,
      stopBits,
      autoOpen: false,
      binding: guardedBinding(SerialPort),
    };
    const port = new SerialPort(options as ConstructorParameters<typeof SerialPort>[0]);
    // Errors after this point arrive as events; without a listener an 'error' would crash the process.
    port.on('error', (err: Error) => this.#lose(port, `serial port ${path} failed: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(new Error(explainOpenError(path, err.message))) : resolve()));
    });
    if (generation !== this.#generation) {
      await closeQuietly(port);
      throw new Error(`serial port ${path} was closed while it was opening`);
    }
    this.#port = port;
    port.on('data', (chunk: Buffer) => {
      if (this.#port !== port) return;
      for (const listener of [...this.#dataListeners]) listener(chunk);
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      const why = err?.disconnected ? `disappeared (${err.message})` : 'was closed unexpectedly';
      this.#lose(port, `serial port ${path} ${why}`);
    });
  }

  /** Reports the loss of `port` once, if it is still the open one; later events of it are ignored. */
  #lose(port: SerialPort, reason: string): void {
    if (this.#port !== port) return;
    this.#port = undefined;
    void closeQuietly(port);
    for (const listener of [...this.#lostListeners]) listener(reason);
  }
}

function closeQuietly(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}
