// The real HID transport, over node-hid 3. node-hid and its native binding are loaded the first time a
// device is listed or opened, so a hub without HID scanners never loads them, and a missing system
// library is reported as the package to install.
//
// The driver is node-hid's choice of hidapi backend, process-wide and fixed when the binding loads:
// hidraw (the default) reads /dev/hidrawN and leaves the kernel's keyboard driver bound, so a
// keyboard-mode scanner still types on the console too; libusb detaches the kernel's driver from the
// interface, so its keystrokes reach only the hub.
import { type HidDeviceInfo, type HidHandle, type HidTransport, hex4 } from './hid-transport.js';

export type HidDriver = 'hidraw' | 'libusb';

/** A device as node-hid lists it. */
export interface NodeHidDevice {
  path?: string | undefined;
  vendorId: number;
  productId: number;
  serialNumber?: string | undefined;
  manufacturer?: string | undefined;
  product?: string | undefined;
  interface: number;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

/** The part of node-hid's HIDAsync this adapter uses. Its "error" event carries a string, not an Error. */
export interface NodeHidAsync {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  close(): Promise<void>;
}

/** The part of the node-hid module this adapter uses. */
export interface NodeHidModule {
  setDriverType(type: HidDriver): void;
  devicesAsync(): Promise<NodeHidDevice[]>;
  HIDAsync: { open(path: string): Promise<NodeHidAsync> };
}

export interface NodeHidTransportOptions {
  /** hidapi's backend, one per process: hidraw (default) or libusb (keeps a keyboard scanner off the console). */
  driver?: HidDriver | undefined;
  /** Loads node-hid; tests give a fake. Defaults to importing the real package. */
  load?: (() => Promise<NodeHidModule>) | undefined;
}

const DOCS = 'docs/devices.md, "USB HID scanners"';

/** The driver each loaded node-hid was given; node-hid cannot change it once its binding is loaded. */
const drivers = new WeakMap<NodeHidModule, HidDriver>();

/** A HID transport on node-hid; nothing is loaded until the first `devices` or `open`. */
export function nodeHidTransport(options: NodeHidTransportOptions = {}): HidTransport {
  return new NodeHidTransport(options.driver ?? 'hidraw', options.load ?? importNodeHid);
}

/** Imports the real node-hid (the binding itself loads on its first call). */
async function importNodeHid(): Promise<NodeHidModule> {
  const hid: NodeHidModule = await import('node-hid');
  return hid;
}

class NodeHidTransport implements HidTransport {
  readonly #driver: HidDriver;
  readonly #load: () => Promise<NodeHidModule>;

  constructor(driver: HidDriver, load: () => Promise<NodeHidModule>) {
    this.#driver = driver;
    this.#load = load;
  }

  async devices(): Promise<HidDeviceInfo[]> {
    const hid = await this.#hid();
    let listed: NodeHidDevice[];
    try {
      listed = await hid.devicesAsync();
    } catch (err) {
      throw new Error(
        explainLoadFailure(err, this.#driver) ?? `cannot list the HID devices: ${messageOf(err)}`,
      );
    }
    const devices: HidDeviceInfo[] = [];
    for (const d of listed) {
      if (d.path === undefined) continue;
      devices.push({
        path: d.path,
        vendorId: d.vendorId,
        productId: d.productId,
        serialNumber: d.serialNumber || undefined,
        // 0 is no usage page: the libusb driver lists none without detaching the kernel's driver.
        usagePage: d.usagePage || undefined,
        usage: d.usagePage ? d.usage : undefined,
        interface: d.interface,
        product: d.product || undefined,
        manufacturer: d.manufacturer || undefined,
      });
    }
    return devices;
  }

  async open(device: HidDeviceInfo): Promise<HidHandle> {
    const hid = await this.#hid();
    try {
      return new NodeHidHandle(await hid.HIDAsync.open(device.path));
    } catch (err) {
      throw new Error(explainLoadFailure(err, this.#driver) ?? explainOpenFailure(err, device, this.#driver));
    }
  }

  async #hid(): Promise<NodeHidModule> {
    let hid: NodeHidModule;
    try {
      hid = await this.#load();
    } catch (err) {
      throw new Error(explainLoadFailure(err, this.#driver) ?? `cannot load node-hid: ${messageOf(err)}`);
    }
    const chosen = drivers.get(hid);
    if (chosen === undefined) {
      hid.setDriverType(this.#driver);
      drivers.set(hid, this.#driver);
    } else if (chosen !== this.#driver)
      throw new Error(
        `node-hid already uses the ${chosen} driver in this process and cannot switch to ${this.#driver}: give every HID scanner the same driver`,
      );
    return hid;
  }
}

class NodeHidHandle implements HidHandle {
  readonly #device: NodeHidAsync;
  #onError: ((err: Error) => void) | undefined;
  /** An error from before anyone listened, told to the first listener. */
  #failure: Error | undefined;
  #failed = false;
  #closed = false;

  constructor(device: NodeHidAsync) {
    this.#device = device;
    // An EventEmitter "error" without a listener would throw out of node-hid's read callback.
    device.on('error', (err) => this.#fail(err instanceof Error ? err : new Error(String(err))));
  }

  onReport(listener: (report: Uint8Array) => void): void {
    // node-hid starts its read thread when the first "data" listener is added.
    this.#device.on('data', (report) => listener(report));
  }

  onError(listener: (err: Error) => void): void {
    this.#onError = listener;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) listener(failure);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#device.close();
    } catch {
      // A device that is gone cannot be closed twice; nothing is left to release.
    }
  }

  #fail(err: Error): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    if (this.#onError) this.#onError(err);
    else this.#failure = err;
  }
}

/**
 * What to install when node-hid or a library its binding needs cannot be loaded; undefined when `err`
 * is another failure. The prebuilt hidraw binding links both libudev and libusb-1.0.
 */
function explainLoadFailure(err: unknown, driver: HidDriver): string | undefined {
  const message = messageOf(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (/libusb-1\.0\.so/.test(message))
    return `node-hid could not load libusb-1.0: install it with \`apt-get install libusb-1.0-0\` (${message})`;
  if (/libudev\.so/.test(message))
    return `node-hid (${driver} driver) needs libudev: install it with \`apt-get install libudev1\` (${message})`;
  if (/Failed to find binding/.test(message))
    return (
      `node-hid has no prebuilt binding for ${process.platform}-${process.arch}: build it with ` +
      '`apt-get install build-essential libudev-dev libusb-1.0-0-dev` then `npm rebuild node-hid`'
    );
  if (code === 'ERR_DLOPEN_FAILED')
    return `node-hid's native binding cannot be loaded (${message}): reinstall the gateway's packages with \`npm ci\``;
  if (code === 'ERR_MODULE_NOT_FOUND' && /node-hid/.test(message))
    return "node-hid is not installed: run `npm ci` in the gateway's directory";
  return undefined;
}

/** Why a listed device did not open, and the fix: usually a udev rule for the service user. */
function explainOpenFailure(err: unknown, device: HidDeviceInfo, driver: HidDriver): string {
  const message = messageOf(err);
  const ids = `ATTRS{idVendor}=="${hex4(device.vendorId)}", ATTRS{idProduct}=="${hex4(device.productId)}"`;
  if (driver === 'libusb')
    // hidapi's libusb backend gives no reason for a failed open.
    return (
      `libusb could not open the scanner at USB port ${device.path} and gives no reason: usually the service ` +
      `user lacks a udev rule (SUBSYSTEM=="usb", ${ids}, GROUP="store-gateway", MODE="0660"; ${DOCS}), ` +
      `or another program holds the scanner (${message})`
    );
  if (/permission denied|EACCES/i.test(message))
    return (
      `permission denied on ${device.path}: the service user needs a udev rule ` +
      `(KERNEL=="hidraw*", ${ids}, GROUP="store-gateway", MODE="0660"; ${DOCS})`
    );
  if (/no such file|ENOENT|no such device|ENODEV/i.test(message))
    return `${device.path} is gone: the scanner was unplugged after it was listed (${message})`;
  return `cannot open HID device ${device.path}: ${message}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
