// The byte pipe every serial device sits on: an RS-485 bus of load-cell boards, a scale, a USB-CDC
// scanner. The real adapter wraps serialport and is loaded only when a serial device is configured.

export interface SerialSettings {
  /** Prefer a stable name such as /dev/serial/by-id/usb-FTDI_…; /dev/ttyUSB0 can change on re-plug. */
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

/** An open-able serial port. `open` rejects with an Error that says why in a technician's words. */
export interface SerialTransport {
  readonly settings: SerialSettings;
  /** Opens the port; rejects when it is absent, busy or not permitted. Safe to call again after `lost`. */
  open(): Promise<void>;
  /** Closes the port; never rejects. No listener is called after close until the next open. */
  close(): Promise<void>;
  /** Writes bytes and resolves once they are handed to the OS (drained); rejects when the port is not open. */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to received bytes, in arrival order; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Subscribes to the loss of an open port (unplugged, I/O error); returns the unsubscribe function. */
  onLost(listener: (reason: string) => void): () => void;
  /** Optional: subscribes to the port's path existing or not (DeviceLink.onPresence). */
  onPresence?(listener: (present: boolean) => void): () => void;
}

export type OpenSerial = (settings: SerialSettings) => SerialTransport;
