// The hub's own small view of USB HID, so node-hid stays behind one file (node-hid.ts) and tests run on
// a fake: list the HID devices, open one, read its input reports. Also which listed device a scanner
// is, by ids, serial number or path, never by guessing when several fit.
import type { Clock } from '../../system/clock.js';

/** One HID interface as the OS lists it; a composite device appears once per interface. */
export interface HidDeviceInfo {
  /** What `open` takes: /dev/hidrawN with the hidraw driver, the USB port ("1-1.2:1.0") with libusb. */
  path: string;
  vendorId: number;
  productId: number;
  serialNumber?: string | undefined;
  /**
   * HID usage page of the interface: 0x8C for a HID POS scanner, 0x01 (Generic Desktop) for a keyboard.
   * Undefined when the driver cannot tell (node-hid's libusb driver never reads it).
   */
  usagePage?: number | undefined;
  usage?: number | undefined;
  interface?: number | undefined;
  product?: string | undefined;
  manufacturer?: string | undefined;
}

/** An open HID interface. */
export interface HidHandle {
  /** Starts reading: each input report as sent, its report id first when the device numbers them. */
  onReport(listener: (report: Uint8Array) => void): void;
  /** The device failed (unplugged, I/O error) and reads no more; said at most once. */
  onError(listener: (err: Error) => void): void;
  /** Closes the device; never rejects. */
  close(): Promise<void>;
}

export interface HidTransport {
  /** The HID interfaces present now; rejects, in a technician's words, when HID cannot be used at all. */
  devices(): Promise<HidDeviceInfo[]>;
  /** Opens a listed device; rejects with what a technician should fix (a udev rule, a re-plug). */
  open(device: HidDeviceInfo): Promise<HidHandle>;
}

/** Which device a scanner is. Every key given must fit; `path` alone picks one device. */
export interface HidDeviceMatch {
  vendorId?: number | undefined;
  productId?: number | undefined;
  serialNumber?: string | undefined;
  path?: string | undefined;
  usagePage?: number | undefined;
}

/** Whether `device` is one the match describes; a usage page the driver could not read is no mismatch. */
export function fitsHidDevice(device: HidDeviceInfo, want: HidDeviceMatch): boolean {
  return (
    (want.path === undefined || device.path === want.path) &&
    (want.vendorId === undefined || device.vendorId === want.vendorId) &&
    (want.productId === undefined || device.productId === want.productId) &&
    (want.serialNumber === undefined || device.serialNumber === want.serialNumber) &&
    (want.usagePage === undefined || device.usagePage === undefined || device.usagePage === want.usagePage)
  );
}

/**
 * The one device `want` names: undefined when none fits; throws, saying what to add to the
 * configuration, when several devices fit or the device at `want.path` is another model. Entries
 * sharing a path are one device (hidraw lists a device once per top-level collection).
 */
export function matchHidDevice(
  devices: readonly HidDeviceInfo[],
  want: HidDeviceMatch,
): HidDeviceInfo | undefined {
  if (!namesHidDevice(want))
    throw new Error('no device named: give vendorId and productId, a serialNumber or a path');
  const fitting = byPath(devices.filter((d) => fitsHidDevice(d, want)));
  if (fitting.length === 1) return fitting[0];
  if (fitting.length === 0) {
    const atPath = want.path === undefined ? undefined : devices.find((d) => d.path === want.path);
    if (atPath)
      throw new Error(
        `the device at ${want.path} is ${describeModel(atPath)}, not one with ${describeHidMatch(want)}`,
      );
    return undefined;
  }
  const list = fitting.map(describeHidDevice).join('; ');
  throw new Error(
    `${fitting.length} HID devices fit ${describeHidMatch(want)}: ${list}. ${whatToAdd(fitting, want)}`,
  );
}

/** "vendorId 0x1eab, productId 0x0d10, serialNumber "NL1"": the match in the configuration's words. */
export function describeHidMatch(want: HidDeviceMatch): string {
  const parts: string[] = [];
  if (want.vendorId !== undefined) parts.push(`vendorId ${hex(want.vendorId)}`);
  if (want.productId !== undefined) parts.push(`productId ${hex(want.productId)}`);
  if (want.serialNumber !== undefined) parts.push(`serialNumber "${want.serialNumber}"`);
  if (want.usagePage !== undefined) parts.push(`usagePage ${hex(want.usagePage)}`);
  if (want.path !== undefined) parts.push(`path ${want.path}`);
  return parts.join(', ');
}

/** "1eab:0d10 "NLS-FM420" serial NL1 at /dev/hidraw3": a device as `lsusb` and a technician know it. */
export function describeHidDevice(device: HidDeviceInfo): string {
  return `${describeModel(device)} at ${device.path}`;
}

function describeModel(device: HidDeviceInfo): string {
  let text = `${hex4(device.vendorId)}:${hex4(device.productId)}`;
  if (device.product) text += ` "${device.product}"`;
  if (device.serialNumber) text += ` serial ${device.serialNumber}`;
  if (device.usagePage !== undefined) text += ` usage page ${hex(device.usagePage)}`;
  return text;
}

interface Enumeration {
  at: number;
  devices: Promise<HidDeviceInfo[]>;
}

const enumerations = new WeakMap<HidTransport, Enumeration>();

/**
 * The transport's devices as listed at most `maxAgeMs` ago, whoever asked: scanners sharing a
 * transport share its enumerations (and one under way), so N scanners polling presence cost one
 * listing per period. `maxAgeMs` 0 lists afresh. A failed listing is not kept.
 */
export function recentHidDevices(
  transport: HidTransport,
  clock: Clock,
  maxAgeMs: number,
): Promise<HidDeviceInfo[]> {
  const now = clock.now();
  const last = enumerations.get(transport);
  if (last && now - last.at < maxAgeMs) return last.devices;
  const devices = transport.devices();
  enumerations.set(transport, { at: now, devices });
  devices.catch(() => {
    if (enumerations.get(transport)?.devices === devices) enumerations.delete(transport);
  });
  return devices;
}

/** Whether `want` says which device at all: a usage page alone fits any scanner of a kind. */
export function namesHidDevice(want: HidDeviceMatch): boolean {
  return (
    want.path !== undefined ||
    want.serialNumber !== undefined ||
    want.vendorId !== undefined ||
    want.productId !== undefined
  );
}

function byPath(devices: HidDeviceInfo[]): HidDeviceInfo[] {
  const seen = new Map<string, HidDeviceInfo>();
  for (const device of devices) if (!seen.has(device.path)) seen.set(device.path, device);
  return [...seen.values()];
}

/** The key that tells the fitting devices apart, with the values found, so the fix can be copied. */
function whatToAdd(fitting: HidDeviceInfo[], want: HidDeviceMatch): string {
  const serials = new Set(fitting.map((d) => d.serialNumber).filter((s) => s));
  if (want.serialNumber === undefined && serials.size === fitting.length)
    return `Add serialNumber to the scanner in the configuration: one of ${[...serials].map((s) => `"${s}"`).join(', ')}`;
  const pages = new Set(fitting.map((d) => d.usagePage));
  if (want.usagePage === undefined && pages.size === fitting.length && !pages.has(undefined))
    return `They are interfaces of one scanner: add usagePage (${[...pages].map((p) => hex(p as number)).join(' or ')}; 0x8c is HID POS, 0x01 a keyboard)`;
  return `They have no distinct serial numbers: name one by path (${fitting.map((d) => d.path).join(' or ')})`;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(n > 0xff ? 4 : 2, '0')}`;
}

/** A USB id as lsusb and udev write it: four hex digits, no prefix. */
export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
