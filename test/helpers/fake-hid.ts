// The HID devices of a hub, in memory: plug, unplug and re-plug devices, make opening fail, send
// reports into an open device, and count listings and opens. Errors carry node-hid's own messages.
import type { HidDeviceInfo, HidHandle, HidTransport } from '../../src/drivers/scanner/hid-transport.js';

/** A Newland FM420 in HID POS mode, ids from Newland's integration guide; tests add its twins. */
export const newlandFm420: HidDeviceInfo = {
  path: '/dev/hidraw2',
  vendorId: 0x1eab,
  productId: 0x0d10,
  serialNumber: 'NL0001',
  usagePage: 0x8c,
  product: 'NLS-FM420',
};

/** What node-hid 3's read thread says (hidapi's hidraw backend) when the device is pulled out. */
export const UNPLUG_MESSAGE =
  'could not read from HID device: hid_read_timeout: unexpected poll error (device disconnected)';

/** node-hid's open error for a /dev/hidrawN that is gone. */
export const goneMessage = (path: string) =>
  `cannot open device with path ${path}: Failed to open a device with path '${path}': No such file or directory`;

export class FakeHidHandle implements HidHandle {
  readonly path: string;
  closed = false;
  #report: ((report: Uint8Array) => void) | undefined;
  #error: ((err: Error) => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  onReport(listener: (report: Uint8Array) => void): void {
    this.#report = listener;
  }

  onError(listener: (err: Error) => void): void {
    this.#error = listener;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Delivers a report if it is open and read, unless `late`: one node-hid had queued before close. */
  report(report: Uint8Array, late = false): void {
    if (!this.closed || late) this.#report?.(report);
  }

  /** Fails the handle if it is open, or even if closed when `late` (an error already on its way). */
  fail(message: string, late = false): void {
    if (!this.closed || late) this.#error?.(new Error(message));
  }
}

export class FakeHid implements HidTransport {
  /** Listings asked for. */
  enumerations = 0;
  /** When set, listing rejects with it (as node-hid does without libudev). */
  listingFails: string | undefined;
  readonly #plugged = new Map<string, HidDeviceInfo>();
  readonly #unplugged = new Map<string, HidDeviceInfo>();
  readonly #refusals = new Map<string, string>();
  readonly #opens = new Map<string, number>();
  readonly handles: FakeHidHandle[] = [];
  /** Listings asked for while held, answered by `release`. */
  #held: (() => void)[] | undefined;

  constructor(devices: HidDeviceInfo[] = []) {
    for (const device of devices) this.plug(device);
  }

  async devices(): Promise<HidDeviceInfo[]> {
    this.enumerations++;
    const held = this.#held;
    if (held) await new Promise<void>((resolve) => held.push(resolve));
    if (this.listingFails !== undefined) throw new Error(this.listingFails);
    return [...this.#plugged.values()].map((d) => ({ ...d }));
  }

  async open(device: HidDeviceInfo): Promise<FakeHidHandle> {
    const { path } = device;
    this.#opens.set(path, this.opens(path) + 1);
    const refusal = this.#refusals.get(path);
    if (refusal !== undefined) throw new Error(refusal);
    if (!this.#plugged.has(path)) throw new Error(goneMessage(path));
    const handle = new FakeHidHandle(path);
    this.handles.push(handle);
    return handle;
  }

  /** Makes listings hang (a slow or stuck udev) until `release`. */
  hold(): void {
    this.#held ??= [];
  }

  /** Answers the listings held, and lets the next ones through at once. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const resolve of held) resolve();
  }

  plug(device: HidDeviceInfo): void {
    this.#plugged.set(device.path, device);
  }

  /** Pulls the device out: it leaves the listing and its open handles fail with node-hid's message. */
  unplug(path: string): void {
    const device = this.#plugged.get(path);
    if (!device) throw new Error(`fake HID: nothing plugged in at ${path}`);
    this.#plugged.delete(path);
    this.#unplugged.set(path, device);
    for (const handle of this.openHandles(path)) handle.fail(UNPLUG_MESSAGE);
  }

  /**
   * The device leaves the listing but its open handles hear nothing, as with libusb, whose read may
   * simply block: only the presence watch can tell.
   */
  vanish(path: string): void {
    const device = this.#plugged.get(path);
    if (!device) throw new Error(`fake HID: nothing plugged in at ${path}`);
    this.#plugged.delete(path);
    this.#unplugged.set(path, device);
  }

  /** Puts an unplugged device back, at the same path. */
  replug(path: string): void {
    const device = this.#unplugged.get(path);
    if (!device) throw new Error(`fake HID: nothing was unplugged at ${path}`);
    this.#unplugged.delete(path);
    this.plug(device);
  }

  /** Makes opening `path` fail with `message` (the transport's words), or work again when undefined. */
  refuse(path: string, message: string | undefined): void {
    if (message === undefined) this.#refusals.delete(path);
    else this.#refusals.set(path, message);
  }

  /** Sends reports from the device at `path` to each open handle, one after the other. */
  send(path: string, ...reports: Uint8Array[]): void {
    for (const report of reports) for (const handle of this.openHandles(path)) handle.report(report);
  }

  /** How many times `path` was opened (successfully or not). */
  opens(path: string): number {
    return this.#opens.get(path) ?? 0;
  }

  openHandles(path: string): FakeHidHandle[] {
    return this.handles.filter((h) => h.path === path && !h.closed);
  }
}
