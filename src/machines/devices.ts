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
import type { DeviceStatusData, StatusEmitted } from './status.js';

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

  start(): void {
    const { devices } = this.#config;
    const sim = this.#simStore();
    for (const gate of devices.gates) {
      // The gate machine comes with the gates work; until then an opened chip is an online gate.
      this.#gates.set(gate.id, sim.gpio(gate.id));
      this.#onStatus({
        deviceId: gate.id,
        deviceKind: 'gate',
        status: 'online',
        reason: 'outputs in their safe state',
      });
    }
    for (const s of devices.scanners) {
      this.#watch(
        createDeviceLinkActor(
          { deviceId: s.id, deviceKind: 'scanner', link: sim.scanner(s.id), onData: () => {} },
          this.#clock,
        ),
      );
    }
    for (const s of devices.shelves) {
      // Samples reach sensing with the shelves work; the link's health is what matters now.
      this.#watch(
        createDeviceLinkActor(
          { deviceId: s.id, deviceKind: 'shelf', link: sim.shelf(s.id), onData: () => {} },
          this.#clock,
        ),
      );
    }
    for (const c of devices.cameras) {
      this.#watch(createCameraHealthActor({ deviceId: c.id, probe: sim.camera(c.id) }, this.#clock));
    }
    sim.start();
  }

  /** Closes every device and brings every gate output to its safe level. Never throws. */
  async stop(): Promise<void> {
    const actors = this.#actors.splice(0);
    await Promise.all(
      actors.map((a) =>
        closeDevice(a).catch((err: unknown) => this.#log.warn({ err }, 'a device did not close cleanly')),
      ),
    );
    for (const [id, chip] of this.#gates) {
      try {
        chip.close();
      } catch (err) {
        this.#log.error({ err, gateId: id }, 'could not bring a gate to its safe state');
      }
    }
    this.#gates.clear();
    this.sim?.stop();
  }

  #simStore(): SimStore {
    if (!this.sim) throw new Error('devices use driver "sim" but the configuration has no sim section');
    return this.sim;
  }

  #watch(actor: AnyActorRef & { on: (type: 'status', fn: (e: StatusEmitted) => void) => unknown }): void {
    actor.on('status', ({ type: _type, ...status }: StatusEmitted) => {
      // Shutdown closes every device; "closed" is the daemon's doing, not the device's health.
      if (status.reason === 'closed') return;
      this.#onStatus(status);
    });
    actor.subscribe({
      error: (err: unknown) => {
        const { deviceId, deviceKind } = (actor.getSnapshot() as { context: DeviceStatusData }).context;
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
