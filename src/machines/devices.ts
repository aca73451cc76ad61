// Every configured device as a running actor: picks each device's driver (real or simulated), keeps
// its link or health machine going and reports each change of health. One device's failure stays
// that device's: a throwing listener or actor is logged and marked offline.
import type { AnyActorRef } from 'xstate';
import type { HubConfig } from '../config/load.js';
import { openOnoffChip } from '../drivers/gpio/onoff.js';
import { HidScanner } from '../drivers/scanner/hid.js';
import type { HidTransport } from '../drivers/scanner/hid-transport.js';
import { nodeHidTransport } from '../drivers/scanner/node-hid.js';
import { PalmBridge } from '../drivers/scanner/palm-bridge.js';
import { palmSocketPath } from '../drivers/scanner/palm-bridge-socket.js';
import type { Scan } from '../drivers/scanner/port.js';
import { SerialScanner } from '../drivers/scanner/serial.js';
import { openSerialPort } from '../drivers/serial/serialport.js';
import type { OpenSerial } from '../drivers/serial/transport.js';
import { createBus } from '../drivers/weight/buses.js';
import type { EventData } from '../events/catalogue.js';
import { type GateHabits, type GateShoppers, SimStore } from '../sim/index.js';
import { type Clock, systemClock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { CameraHealthActor, CameraOutage } from './camera-health.js';
import { type CameraView, cameraView, cameraWatches } from './cameras.js';
import type { Gates } from './gates.js';
import { closeDevice, createDeviceLinkActor } from './index.js';
import { ScanWatch } from './scan-watch.js';
import type { ShelfEmitted } from './shelf.js';
import { makeShelfSensor } from './shelf-sensor.js';
import { productsOf, Shelves } from './shelves.js';
import { type DeviceStatusData, reasonOf, type StatusEmitted } from './status.js';

/** A shelf event as fusion receives it: the machine's data, plus the cameras' coverage of the shelf. */
export type ShelfReport =
  | { kind: 'shelf.pick' | 'shelf.put'; data: EventData<'shelf.pick'> }
  | { kind: 'shelf.anomaly'; data: EventData<'shelf.anomaly'> };

export interface DevicesOptions {
  clock?: Clock;
  /** Receives every pick, put and anomaly. */
  onShelf?: (report: ShelfReport) => void;
  /** Opens serial ports; tests may give pseudo-terminals or fakes. */
  openSerial?: OpenSerial;
  /** Lists and opens HID devices; node-hid (loaded on first use) unless a test gives a fake. */
  hidTransport?: HidTransport;
  /** The gates, joined to the store; without it no gate or scanner is started. */
  gates?: Gates;
  /** What the simulated store's staff do after a fire drill: reset the emergency. */
  resetEmergency?: () => void;
  /** How the simulated gate shoppers behave, over the defaults; tests shorten their stays. */
  gateHabits?: Partial<GateHabits>;
  /** Receives each camera outage once it is over. */
  onOutage?: (outage: Required<CameraOutage>) => void;
}

export class Devices {
  readonly sim: SimStore | undefined;
  /** The simulated shoppers at the gates, when the configuration sends any; their journeys are the truth. */
  readonly gateShoppers: GateShoppers | undefined;
  readonly #actors: AnyActorRef[] = [];
  readonly #cameras: CameraHealthActor[] = [];
  readonly #gates: Gates | undefined;
  readonly #openSerial: OpenSerial;
  #hidTransport: HidTransport | undefined;
  readonly #statuses = new Map<string, DeviceStatusData>();
  /** Each scanner's health as its link reports it, before test mode is laid over it. */
  readonly #scannerLinks = new Map<string, DeviceStatusData>();
  readonly #config: HubConfig;
  readonly #log: Logger;
  readonly #report: (status: DeviceStatusData) => void;
  readonly #clock: Clock;
  readonly #onOutage: (outage: Required<CameraOutage>) => void;
  readonly shelves: Shelves;
  /** Each scanner's last scan, and the technician's test mode. */
  readonly scans: ScanWatch;

  /** `report` receives every change of a device's health, the data of a `device.status` event. */
  constructor(
    config: HubConfig,
    log: Logger,
    report: (status: DeviceStatusData) => void,
    options: DevicesOptions = {},
  ) {
    const clock = options.clock ?? systemClock;
    this.#config = config;
    this.#log = log.child({ part: 'devices' });
    this.#report = report;
    this.#clock = clock;
    this.#gates = options.gates;
    this.scans = new ScanWatch(clock, config.devices.scanners, (scannerId) => {
      const link = this.#scannerLinks.get(scannerId);
      if (link) this.#onStatus(link);
    });
    this.#onOutage = (outage) => {
      try {
        options.onOutage?.(outage);
      } catch (err) {
        this.#log.error({ err, deviceId: outage.deviceId }, 'could not report a camera outage');
      }
    };
    this.#gates?.reportStatus((status) => this.#onStatus(status));
    this.#openSerial = options.openSerial ?? openSerialPort;
    this.#hidTransport = options.hidTransport;
    const d = config.devices;
    // The schema requires `sim` whenever a device uses it.
    this.sim = config.sim ? new SimStore(d, config.sim, clock, log) : undefined;
    // The gates' shoppers first: the parties they let in are the ones who visit the shelves.
    this.gateShoppers = this.#simulateGateShoppers(this.sim, options.resetEmergency, options.gateHabits);
    this.#simulateShoppers(this.sim, this.gateShoppers);
    const profiles = config.boardProfiles;
    const onShelf = options.onShelf ?? (() => {});
    this.shelves = new Shelves({
      config,
      clock,
      log,
      makeSensor: makeShelfSensor,
      makeBus: (busId) => {
        const bus = d.buses.find((b) => b.id === busId);
        if (!bus) throw new Error(`no bus "${busId}"`);
        return createBus(bus, profiles, this.#openSerial, clock, log);
      },
      onStatus: ({ type: _type, ...status }) => this.#onStatus(status),
      onShelf: (_shelfId, event) => this.#onShelfEvent(event, onShelf),
    });
  }

  /**
   * Simulated shoppers at the simulated shelves that have a planogram, made by the parties inside when
   * shoppers come through the gates; they stock the shelves now.
   */
  #simulateShoppers(sim: SimStore | undefined, atGates: GateShoppers | undefined): void {
    const settings = this.#config.sim;
    if (!sim || !settings) return;
    if (settings.plateFaults) sim.addPlateFaults();
    const shelves = this.#config.devices.shelves.filter((s) => s.driver === 'sim' && s.planogram.length > 0);
    if (settings.shoppersEverySeconds <= 0 || shelves.length === 0) return;
    sim.shoppersAtShelves(
      new Map(shelves.map((s) => [s.id, s.planogram])),
      productsOf(this.#config.catalogue.products),
      settings.shoppersEverySeconds,
      atGates,
    );
  }

  /** Simulated shoppers through the simulated gates, when the configuration gives them a signing key. */
  #simulateGateShoppers(
    sim: SimStore | undefined,
    resetEmergency: (() => void) | undefined,
    habits: Partial<GateHabits> | undefined,
  ): GateShoppers | undefined {
    const settings = this.#config.sim;
    const signingKey = this.#config.simSigningKey;
    if (!sim || !settings || !signingKey || settings.gateShoppersEverySeconds <= 0) return undefined;
    const { gates, scanners } = this.#config.devices;
    const simGates = gates.flatMap((g) => {
      const profile = this.#config.gateProfiles.get(g.id);
      return g.driver === 'sim' && profile ? [{ id: g.id, role: g.role, profile }] : [];
    });
    if (!simGates.some((g) => g.role === 'entry')) return undefined;
    return sim.shoppersAtGates({
      gates: simGates,
      scanners: scanners.filter((s) => s.driver === 'sim'),
      audience: this.#config.hub.storeId,
      signingKey,
      everySeconds: settings.gateShoppersEverySeconds,
      fireDrillEveryMinutes: settings.fireDrillEveryMinutes,
      ...(resetEmergency ? { resetEmergency } : {}),
      ...(habits ? { habits } : {}),
    });
  }

  /** Adds the cameras' coverage of the shelf, then hands the event on; a failing listener is logged. */
  #onShelfEvent(event: ShelfEmitted, onShelf: (report: ShelfReport) => void): void {
    try {
      if (event.kind === 'shelf.anomaly') onShelf({ kind: event.kind, data: event.data });
      else
        onShelf({ kind: event.kind, data: { ...event.data, coverage: this.coverage(event.data.shelfId) } });
    } catch (err) {
      this.#log.error({ err, shelfId: event.data.shelfId }, 'could not report a shelf event');
    }
  }

  /** How well the shelf's cameras see it now: all online, some, or none (or it has none). */
  coverage(shelfId: string): 'full' | 'partial' | 'none' {
    const cameras = this.#config.devices.shelves.find((s) => s.id === shelfId)?.cameras ?? [];
    const seeing = cameras.filter((c) => this.#statuses.get(c)?.status === 'online').length;
    if (cameras.length > 0 && seeing === cameras.length) return 'full';
    return seeing > 0 ? 'partial' : 'none';
  }

  get count(): number {
    const d = this.#config.devices;
    return d.gates.length + d.scanners.length + d.shelves.length + d.cameras.length;
  }

  /** The last reported health of every device, for `hub.status` and diagnostics. */
  statuses(): DeviceStatusData[] {
    return [...this.#statuses.values()];
  }

  /** Each camera's health with its last measures and outages, for diagnostics and `hub.status`. */
  cameras(): CameraView[] {
    return this.#cameras.map(cameraView);
  }

  /** The last reported health of one device; undefined until it has reported. */
  status(deviceId: string): DeviceStatusData | undefined {
    return this.#statuses.get(deviceId);
  }

  /**
   * Starts every device; one that cannot start is reported offline and the others start all the same.
   * Resolves once every gate's lines are open (real GPIO opens asynchronously).
   */
  async start(): Promise<void> {
    const { devices } = this.#config;
    const sim = this.sim;
    for (const shelf of devices.shelves)
      this.#startOne(shelf.id, 'shelf', () => this.shelves.startShelf(shelf, sim));
    for (const bus of devices.buses) {
      try {
        this.shelves.startBus(bus.id);
      } catch (err) {
        this.#log.error({ err, busId: bus.id }, 'bus failed to start');
        this.shelves.boardsDown(
          bus.boards.map((b) => b.id),
          `${bus.id} failed to start: ${reasonOf(err)}`,
        );
      }
    }
    await this.#startGates(sim);
    for (const s of devices.scanners) {
      this.#startOne(s.id, 'scanner', () => {
        const link =
          s.driver === 'sim'
            ? sim?.scanner(s.id)
            : s.driver === 'bridge'
              ? this.#palmBridge(s)
              : s.driver === 'hid'
                ? this.#hidScanner(s)
                : this.#serialScanner(s);
        // The schema requires a sim section whenever a device uses it.
        if (!link) throw new Error('no simulated store');
        const gates = this.#gates;
        const onData = (scan: Scan) => {
          if (this.scans.take(s.id, scan)) gates?.scan(s.gateId, s.kind, scan);
        };
        this.#watch(
          createDeviceLinkActor({ deviceId: s.id, deviceKind: 'scanner', link, onData }, this.#clock),
        );
      });
    }
    this.#startCameras(sim);
    sim?.start();
  }

  #startCameras(sim: SimStore | undefined): void {
    for (const { deviceId, make } of cameraWatches(this.#config, sim, this.#clock)) {
      this.#startOne(deviceId, 'camera', () => {
        const actor = make();
        actor.on('outage', ({ type: _type, ...outage }) => this.#onOutage(outage));
        this.#watch(actor);
        this.#cameras.push(actor);
      });
    }
  }

  async #startGates(sim: SimStore | undefined): Promise<void> {
    const gates = this.#gates;
    if (!gates) return;
    await Promise.all(
      this.#config.devices.gates.map(async (gate) => {
        const profile = this.#config.gateProfiles.get(gate.id);
        try {
          if (!profile) throw new Error(`no model for gate "${gate.id}"`);
          const chip =
            gate.driver === 'sim'
              ? sim?.gpio(gate.id)
              : await openOnoffChip({ lines: gate.lines ?? {}, gateId: gate.id, ...gate.gpio });
          if (!chip) throw new Error('no simulated store');
          gates.start(gate, profile, chip);
        } catch (err) {
          this.#log.error({ err, deviceId: gate.id }, 'gate failed to start');
          this.#onStatus({
            deviceId: gate.id,
            deviceKind: 'gate',
            status: 'offline',
            reason: `failed to start: ${reasonOf(err)}`,
          });
        }
      }),
    );
  }

  #serialScanner(s: HubConfig['devices']['scanners'][number]): SerialScanner {
    const profile = this.#config.scannerProfiles.get(s.id);
    if (!profile || !s.path) throw new Error(`no model or port for scanner "${s.id}"`);
    return new SerialScanner({
      id: s.id,
      path: s.path,
      profile,
      baudRate: s.baudRate,
      clock: this.#clock,
      openSerial: this.#openSerial,
      log: this.#log.child({ scannerId: s.id }),
    });
  }

  #hidScanner(s: HubConfig['devices']['scanners'][number]): HidScanner {
    const profile = this.#config.hidProfiles.get(s.id);
    if (!profile) throw new Error(`no model for scanner "${s.id}"`);
    // One transport for every HID scanner: node-hid's driver is the process's, and they share a listing.
    this.#hidTransport ??= nodeHidTransport({ driver: this.#config.hid.driver });
    return new HidScanner({
      id: s.id,
      profile,
      match: s.match,
      transport: this.#hidTransport,
      clock: this.#clock,
      log: this.#log.child({ scannerId: s.id }),
    });
  }

  #palmBridge(s: HubConfig['devices']['scanners'][number]): PalmBridge {
    const [program, ...args] = s.command ?? [];
    if (!program) throw new Error(`no bridge command for scanner "${s.id}"`);
    return new PalmBridge({
      id: s.id,
      command: [program, ...args],
      socketPath: palmSocketPath(this.#config.dataDir, s.id),
      clock: this.#clock,
      env: s.env,
      log: this.#log.child({ scannerId: s.id }),
    });
  }

  /** Every gate output to its safe level at once, synchronously: for a crash. Never throws. */
  failSafe(): void {
    this.#gates?.failSafe();
  }

  /**
   * Brings every gate output to its safe level first (people may be standing at a gate), then closes
   * every other device, waiting at most `closeMs` for each. Never throws.
   */
  async stop(closeMs = 2000): Promise<void> {
    this.#gates?.stop();
    this.scans.stop();
    const { links, stations } = this.shelves.actors();
    const actors = [...this.#actors.splice(0), ...links];
    await Promise.all(
      actors.map((actor) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.#log.warn(
              { deviceId: deviceOf(actor).deviceId },
              'a device did not close in time; leaving it',
            );
            resolve();
          }, closeMs);
        });
        return Promise.race([closeDevice(actor), late]).finally(() => clearTimeout(timer));
      }),
    );
    for (const station of stations) station.actor.send({ type: 'close' });
    this.sim?.stop();
  }

  #startOne(deviceId: string, deviceKind: DeviceStatusData['deviceKind'], start: () => void): void {
    try {
      start();
    } catch (err) {
      this.#log.error({ err, deviceId }, 'device failed to start');
      this.#onStatus({
        deviceId,
        deviceKind,
        status: 'offline',
        reason: `failed to start: ${reasonOf(err)}`,
      });
    }
  }

  #watch(actor: AnyActorRef & { on: (type: 'status', fn: (e: StatusEmitted) => void) => unknown }): void {
    actor.on('status', ({ type: _type, ...status }: StatusEmitted) => {
      // Shutdown closes every device; "closed" is the daemon's doing, not the device's health.
      if (status.reason === 'closed') return;
      this.#onStatus(status);
    });
    actor.subscribe({
      error: (err: unknown) => {
        const { deviceId, deviceKind } = deviceOf(actor);
        this.#log.error({ err, deviceId }, 'device actor failed');
        this.#onStatus({
          deviceId,
          deviceKind,
          status: 'offline',
          reason: 'internal error; see the hub log',
        });
      },
    });
    actor.start();
    this.#actors.push(actor);
  }

  #onStatus(reported: DeviceStatusData): void {
    let status = reported;
    if (status.deviceKind === 'scanner') {
      this.#scannerLinks.set(status.deviceId, status);
      status = degradedUntil(status, this.scans.testingUntil(status.deviceId));
    }
    this.#statuses.set(status.deviceId, status);
    try {
      this.#report(status);
    } catch (err) {
      this.#log.error({ err, deviceId: status.deviceId }, 'could not report a device status');
    }
  }
}

/** A scanner under test is degraded: it works, but its gate lets nobody in until the test ends. */
function degradedUntil(status: DeviceStatusData, until: number | undefined): DeviceStatusData {
  if (until === undefined || status.status !== 'online') return status;
  return {
    ...status,
    status: 'degraded',
    reason: `under test until ${new Date(until).toISOString()}: its gate ignores it`,
  };
}

function deviceOf(actor: AnyActorRef): Pick<DeviceStatusData, 'deviceId' | 'deviceKind'> {
  return (actor.getSnapshot() as { context: DeviceStatusData }).context;
}
