// Every configured device as a running actor: picks each device's driver (only the simulated store
// so far), keeps its link or health machine going and reports each change of health. One device's
// failure stays that device's: a throwing listener or actor is logged and marked offline.
import type { AnyActorRef } from 'xstate';
import type { HubConfig } from '../config/load.js';
import type { GpioChip } from '../drivers/gpio/port.js';
import { SimStore } from '../sim/index.js';
import { type Clock, systemClock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { closeDevice, createCameraHealthActor, createDeviceLinkActor } from './index.js';
import { type DeviceStatusData, reasonOf, type StatusEmitted } from './status.js';

export class Devices {
  readonly sim: SimStore | undefined;
  readonly #actors: AnyActorRef[] = [];
  readonly #gates = new Map<string, GpioChip>();
  readonly #statuses = new Map<string, DeviceStatusData>();
  readonly #config: HubConfig;
  readonly #log: Logger;
  readonly #report: (status: DeviceStatusData) => void;
  readonly #clock: Clock;

  /** `report` receives every change of a device's health, the data of a `device.status` event. */
  constructor(
    config: HubConfig,
    log: Logger,
    report: (status: DeviceStatusData) => void,
    clock: Clock = systemClock,
  ) {
    this.#config = config;
    this.#log = log.child({ part: 'devices' });
    this.#report = report;
    this.#clock = clock;
    const d = config.devices;
    // The schema requires `sim` whenever a device uses it, and every driver is `sim` for now.
    this.sim = config.sim ? new SimStore(d, config.sim, clock, log) : undefined;
  }

  get count(): number {
    const d = this.#config.devices;
    return d.gates.length + d.scanners.length + d.shelves.length + d.cameras.length;
  }

  /** The last reported health of every device, for `hub.status` and diagnostics. */
  statuses(): DeviceStatusData[] {
    return [...this.#statuses.values()];
  }

  /** Starts every device; one that cannot start is reported offline and the others start all the same. */
  start(): void {
    const { devices } = this.#config;
    // The schema requires a sim section whenever a device uses it, so without one there is nothing to start.
    const sim = this.sim;
    if (!sim) return;
    for (const gate of devices.gates) {
      this.#startOne(gate.id, 'gate', () => {
        // The gate machine comes with the gates work; until then an opened chip is an online gate.
        this.#gates.set(gate.id, sim.gpio(gate.id));
        this.#onStatus({
          deviceId: gate.id,
          deviceKind: 'gate',
          status: 'online',
          reason: 'outputs in their safe state',
        });
      });
    }
    for (const s of devices.scanners) {
      this.#startOne(s.id, 'scanner', () =>
        this.#watch(
          createDeviceLinkActor(
            { deviceId: s.id, deviceKind: 'scanner', link: sim.scanner(s.id), onData: () => {} },
            this.#clock,
          ),
        ),
      );
    }
    for (const s of devices.shelves) {
      // Samples reach sensing with the shelves work; the link's health is what matters now.
      this.#startOne(s.id, 'shelf', () =>
        this.#watch(
          createDeviceLinkActor(
            { deviceId: s.id, deviceKind: 'shelf', link: sim.shelf(s.id), onData: () => {} },
            this.#clock,
          ),
        ),
      );
    }
    for (const c of devices.cameras) {
      this.#startOne(c.id, 'camera', () =>
        this.#watch(createCameraHealthActor({ deviceId: c.id, probe: sim.camera(c.id) }, this.#clock)),
      );
    }
    sim.start();
  }

  /**
   * Brings every gate output to its safe level first (people may be standing at a gate), then closes
   * every other device, waiting at most `closeMs` for each. Never throws.
   */
  async stop(closeMs = 2000): Promise<void> {
    for (const [id, chip] of this.#gates) {
      try {
        chip.close();
      } catch (err) {
        this.#log.error({ err, gateId: id }, 'could not bring a gate to its safe state');
      }
    }
    const actors = this.#actors.splice(0);
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
    this.#gates.clear();
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

  #onStatus(status: DeviceStatusData): void {
    this.#statuses.set(status.deviceId, status);
    try {
      this.#report(status);
    } catch (err) {
      this.#log.error({ err, deviceId: status.deviceId }, 'could not report a device status');
    }
  }
}

function deviceOf(actor: AnyActorRef): Pick<DeviceStatusData, 'deviceId' | 'deviceKind'> {
  return (actor.getSnapshot() as { context: DeviceStatusData }).context;
}
