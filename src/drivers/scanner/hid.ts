// A QR scanner on USB HID, in keyboard mode or HID POS mode, through a HidTransport (node-hid on a hub,
// a fake in tests): finds its device by ids, serial number or path, feeds each input report to the
// profile's decoder, and tells when the device is unplugged and when it comes back. A report that is
// not the scanner's is counted and ignored; memory stays bounded whatever the scanner sends.
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { Logger } from '../../system/log.js';
import { Listeners } from '../listeners.js';
import { PresenceWatch } from '../presence.js';
import { QuietLog } from '../weight/quiet-log.js';
import type { HidScan, HidScanStats, HidTrouble } from './hid-code.js';
import { HidKeyboardDecoder } from './hid-keyboard.js';
import { HidPosDecoder } from './hid-pos.js';
import type { HidProfile } from './hid-profile.js';
import {
  describeHidDevice,
  describeHidMatch,
  fitsHidDevice,
  type HidDeviceInfo,
  type HidDeviceMatch,
  type HidHandle,
  type HidTransport,
  matchHidDevice,
  namesHidDevice,
  recentHidDevices,
} from './hid-transport.js';
import type { Scan, ScannerLink } from './port.js';

export interface HidScannerOptions {
  /** The scanner's id from the configuration. */
  id: string;
  profile: HidProfile;
  /** The configuration's match; each key given wins over the profile's `match`. */
  match?: HidDeviceMatch | undefined;
  transport: HidTransport;
  clock: Clock;
  /** Where trouble is told, at most once a minute per kind and never with a code's content. */
  log?: Logger | undefined;
  /** How often the HID devices are listed while someone listens to presence; default 1000 ms. */
  presenceEveryMs?: number | undefined;
}

/** What the scanner did since the hub started, for diagnostics. */
export interface HidScannerStats extends HidScanStats {
  open: boolean;
  /** Whether a matching device was listed at the last presence check; undefined when nobody asks. */
  present: boolean | undefined;
  /** The device open now, as `describeHidDevice` says it. */
  device: string | undefined;
  /** Reports from a handle already closed or lost (node-hid had queued them): not decoded. */
  ignoredReports: number;
  /** Presence checks that could not list the HID devices. */
  enumerationFailures: number;
  /** Keyboard mode: key presses with no character in the layout. */
  unknownKeys?: number;
  /** Keyboard mode: reports in the phantom state (too many keys at once). */
  rolloverErrors?: number;
}

/** Matches the message node-hid's read thread gives when the device stops answering: an unplug. */
const UNPLUGGED = /could not read from HID device/i;

export class HidScanner implements ScannerLink {
  readonly id: string;
  readonly #want: HidDeviceMatch;
  readonly #transport: HidTransport;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  readonly #quiet: QuietLog | undefined;
  readonly #presenceEveryMs: number;
  readonly #decoder: HidKeyboardDecoder | HidPosDecoder;
  readonly #data = new Listeners<Scan>();
  readonly #lost = new Listeners<string>();
  readonly #presence: PresenceWatch;
  #handle: HidHandle | undefined;
  #device: HidDeviceInfo | undefined;
  #opening: Promise<void> | undefined;
  /** Bumped by close: an open still under way then gives its handle back. */
  #generation = 0;
  #staleTimer: TimerHandle | undefined;
  #ignoredReports = 0;
  #enumerationFailures = 0;

  /** Throws when neither the profile nor the configuration names a device. */
  constructor(options: HidScannerOptions) {
    this.id = options.id;
    this.#want = { ...options.profile.match, ...defined(options.match ?? {}) };
    if (!namesHidDevice(this.#want))
      throw new Error(
        `HID scanner "${this.id}" names no device: give vendorId and productId (or a serialNumber or path) in the configuration`,
      );
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#log = options.log?.child({ scanner: options.id });
    this.#quiet = this.#log && new QuietLog(this.#log, options.clock);
    this.#presenceEveryMs = options.presenceEveryMs ?? 1000;
    this.#presence = new PresenceWatch({
      check: () => this.#isListed(),
      clock: options.clock,
      everyMs: this.#presenceEveryMs,
    });
    const onScan = (scan: HidScan) => this.#deliver(scan);
    const onTrouble = (trouble: HidTrouble) => this.#warn(trouble.kind, trouble.message);
    const { profile } = options;
    this.#decoder =
      profile.mode === 'keyboard'
        ? new HidKeyboardDecoder({ profile, onScan, onTrouble })
        : new HidPosDecoder({ profile, onScan, onTrouble });
  }

  /** Finds the device and opens it; rejects with what a technician should check. A half-read code is forgotten. */
  open(): Promise<void> {
    if (this.#handle) return Promise.resolve();
    if (this.#opening) return this.#opening;
    const opening: Promise<void> = this.#openNow().finally(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    this.#opening = opening;
    return opening;
  }

  async close(): Promise<void> {
    this.#generation++;
    this.#opening = undefined;
    const handle = this.#handle;
    this.#stop();
    await handle?.close().catch(() => {});
  }

  onData(listener: (scan: Scan) => void): () => void {
    return this.#data.add(listener);
  }

  onLost(listener: (reason: string) => void): () => void {
    return this.#lost.add(listener);
  }

  /** Lists the HID devices every presenceEveryMs while anyone listens; tells each change of "a matching one is there". */
  onPresence(listener: (present: boolean) => void): () => void {
    return this.#presence.subscribe(listener);
  }

  get stats(): Readonly<HidScannerStats> {
    return {
      ...this.#decoder.stats,
      open: this.#handle !== undefined,
      present: this.#presence.present,
      device: this.#device && describeHidDevice(this.#device),
      ignoredReports: this.#ignoredReports,
      enumerationFailures: this.#enumerationFailures,
    };
  }

  async #openNow(): Promise<void> {
    const generation = this.#generation;
    const devices = await recentHidDevices(this.#transport, this.#clock, 0).catch((err: unknown) => {
      throw new Error(`scanner "${this.id}": ${messageOf(err)}`);
    });
    const device = this.#find(devices);
    let handle: HidHandle;
    try {
      handle = await this.#transport.open(device);
    } catch (err) {
      throw new Error(`scanner "${this.id}" (${describeHidDevice(device)}): ${messageOf(err)}`);
    }
    if (generation !== this.#generation) {
      await handle.close().catch(() => {});
      throw new Error(`scanner "${this.id}" was closed while it was being opened`);
    }
    this.#decoder.reset();
    this.#handle = handle;
    this.#device = device;
    handle.onReport((report) => this.#receive(handle, report));
    handle.onError((err) => this.#fail(handle, device, err));
    this.#log?.info({ device: describeHidDevice(device) }, 'HID scanner open');
  }

  #find(devices: HidDeviceInfo[]): HidDeviceInfo {
    let device: HidDeviceInfo | undefined;
    try {
      device = matchHidDevice(devices, this.#want);
    } catch (err) {
      throw new Error(`scanner "${this.id}": ${messageOf(err)}`);
    }
    if (device) return device;
    const seen = [...new Map(devices.map((d) => [d.path, d])).values()];
    const listed =
      seen.length === 0
        ? 'no HID device is listed at all: is it plugged in and set to a USB HID mode?'
        : `HID devices listed: ${seen.slice(0, 8).map(describeHidDevice).join('; ')}${seen.length > 8 ? '; …' : ''}`;
    throw new Error(
      `scanner "${this.id}": no HID device with ${describeHidMatch(this.#want)} is plugged in (${listed})`,
    );
  }

  #receive(handle: HidHandle, report: Uint8Array): void {
    if (handle !== this.#handle) {
      this.#ignoredReports++;
      return;
    }
    this.#decoder.decode(report, this.#clock.now());
    if (this.#handle === handle) this.#watchStale();
  }

  #deliver(scan: HidScan): void {
    this.#data.emit(scan, () => this.#handle !== undefined);
  }

  #fail(handle: HidHandle, device: HidDeviceInfo, err: Error): void {
    if (handle !== this.#handle) return;
    const reason = UNPLUGGED.test(err.message)
      ? `HID scanner ${describeHidDevice(device)} was unplugged (${err.message})`
      : `HID scanner ${describeHidDevice(device)} failed: ${err.message}`;
    this.#stop();
    void handle.close().catch(() => {});
    this.#lost.emit(reason);
  }

  #stop(): void {
    this.#handle = undefined;
    this.#device = undefined;
    if (this.#staleTimer !== undefined) this.#clock.clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
  }

  /** Keeps one timer while a code is unfinished, so a code whose next report never comes is dropped. */
  #watchStale(): void {
    const staleAt = this.#decoder.staleAt;
    if (staleAt === undefined) {
      if (this.#staleTimer !== undefined) this.#clock.clearTimeout(this.#staleTimer);
      this.#staleTimer = undefined;
      return;
    }
    this.#staleTimer ??= this.#clock.setTimeout(() => {
      this.#staleTimer = undefined;
      this.#decoder.expire(this.#clock.now());
      if (this.#handle) this.#watchStale();
    }, staleAt - this.#clock.now());
  }

  /** Whether a matching device is listed; undefined when the listing failed (presence stays as it was). */
  async #isListed(): Promise<boolean | undefined> {
    try {
      // A listing another scanner made up to half a period ago will do: a re-plug is still seen within
      // one and a half periods, and several scanners share one listing.
      const devices = await recentHidDevices(this.#transport, this.#clock, this.#presenceEveryMs / 2);
      return devices.some((d) => fitsHidDevice(d, this.#want));
    } catch (err) {
      this.#enumerationFailures++;
      this.#warn(
        'enumeration',
        `cannot list the HID devices to see whether the scanner is there: ${messageOf(err)}`,
      );
      return undefined;
    }
  }

  #warn(kind: string, message: string): void {
    this.#quiet?.warn(kind, { problem: kind, stats: this.stats }, message);
  }
}

function defined(match: HidDeviceMatch): HidDeviceMatch {
  return Object.fromEntries(Object.entries(match).filter(([, v]) => v !== undefined));
}

/** The transport rejects with Errors (HidTransport), already in a technician's words. */
function messageOf(err: unknown): string {
  return (err as Error).message;
}
