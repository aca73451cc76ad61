// The port every streaming device sits behind: open it, receive what it sends, learn when it is
// lost. A real adapter wraps a package (serialport, node-hid, onoff); a simulated one sits in src/sim.

/** A device connection. `open` rejects with an Error whose message says why, in a technician's words. */
export interface DeviceLink<T> {
  /** Opens the device; rejects when it is absent or refuses. Safe to call again after `lost`. */
  open(): Promise<void>;
  /** Closes it; never rejects. After close no listener is called until the next open. */
  close(): Promise<void>;
  /** Subscribes to what the device sends; returns the unsubscribe function. */
  onData(listener: (data: T) => void): () => void;
  /** Subscribes to the loss of an open device (unplugged, I/O error); returns the unsubscribe function. */
  onLost(listener: (reason: string) => void): () => void;
  /**
   * Optional: subscribes to the device's presence on the machine (its /dev path, its USB ids among the
   * HID devices), whether or not it is open. The listener is called on each change only, never with
   * the state at subscription. Gone: the link counts as lost at once, even before a read fails. Back:
   * it is reopened at once rather than at the end of its backoff. Returns the unsubscribe function.
   */
  onPresence?(listener: (present: boolean) => void): () => void;
}
