// The simulated store: every device named in the configuration with driver "sim", built once and
// handed to the daemon through the same ports real hardware uses, plus the behaviours that give the
// store a life of its own (faults, shoppers at the shelves and at the gates).
import type { Config, SimConfig } from '../config/schema.js';
import { SimCamera } from '../drivers/camera/sim.js';
import { SimGpioChip } from '../drivers/gpio/sim.js';
import { SimScanner } from '../drivers/scanner/sim.js';
import { SimShelf } from '../drivers/weight/sim.js';
import type { PlanogramEntry, Product } from '../sensing/types.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { Random } from '../system/random.js';
import type { SimBehaviour } from './behaviour.js';
import {
  cameraTarget,
  type Fault,
  FaultScheduler,
  plateTarget,
  scannerTarget,
  shelfTarget,
} from './faults.js';
import { GateShoppers, type GateShoppersSetup } from './gate-shoppers.js';
import { ShelfShoppers } from './shelf-shoppers.js';

/** Used when the configuration has no `sim` section (then no device is simulated anyway). */
const quietStore: SimConfig = {
  seed: 1,
  faultEverySeconds: 0,
  faultDurationSeconds: 4,
  shoppersEverySeconds: 0,
  plateFaults: false,
  gateShoppersEverySeconds: 0,
  fireDrillEveryMinutes: 0,
};

export class SimStore {
  readonly clock: Clock;
  /** The root of the store's chance; behaviours take `random.fork(name)` so they stay independent. */
  readonly random: Random;
  readonly faults: FaultScheduler;
  readonly #log: Logger;
  readonly #gates = new Map<string, SimGpioChip>();
  readonly #scanners = new Map<string, SimScanner>();
  readonly #shelves = new Map<string, SimShelf>();
  readonly #cameras = new Map<string, SimCamera>();
  readonly #behaviours: SimBehaviour[] = [];
  readonly #faultListeners = new Set<(fault: Fault) => void>();
  #running = false;

  /** Builds every device whose driver is "sim"; nothing runs until `start`. */
  constructor(devices: Config['devices'], sim: SimConfig | undefined, clock: Clock, log: Logger) {
    const settings = sim ?? quietStore;
    this.clock = clock;
    this.random = new Random(settings.seed);
    this.#log = log.child({ part: 'sim' });
    for (const gate of devices.gates)
      if (gate.driver === 'sim') this.#gates.set(gate.id, new SimGpioChip(clock));
    for (const scanner of devices.scanners)
      if (scanner.driver === 'sim') this.#scanners.set(scanner.id, new SimScanner(scanner.id, clock));
    for (const shelf of devices.shelves)
      if (shelf.driver === 'sim')
        this.#shelves.set(
          shelf.id,
          new SimShelf(shelf, clock, this.random.fork(`shelf:${shelf.id}`), {
            capacityGrams: shelf.sensing?.capacityGrams,
          }),
        );
    for (const camera of devices.cameras)
      if (camera.driver === 'sim')
        this.#cameras.set(camera.id, new SimCamera(camera.id, this.random.fork(`camera:${camera.id}`)));

    this.faults = new FaultScheduler({
      targets: [
        ...[...this.#scanners].map(([id, scanner]) => scannerTarget(id, scanner)),
        ...[...this.#shelves].map(([id, shelf]) => shelfTarget(id, shelf)),
        ...[...this.#cameras].map(([id, camera]) => cameraTarget(id, camera)),
      ],
      everySeconds: settings.faultEverySeconds,
      durationSeconds: settings.faultDurationSeconds,
      clock,
      random: this.random.fork('faults'),
      log: this.#log,
      onFault: (fault) => {
        for (const listener of [...this.#faultListeners]) listener(fault);
      },
    });
    this.use(this.faults);
  }

  /** The GPIO chip of a simulated gate; throws for an id that is not one. */
  gpio(gateId: string): SimGpioChip {
    return found(this.#gates, gateId, 'gate');
  }

  scanner(id: string): SimScanner {
    return found(this.#scanners, id, 'scanner');
  }

  shelf(id: string): SimShelf {
    return found(this.#shelves, id, 'shelf');
  }

  camera(id: string): SimCamera {
    return found(this.#cameras, id, 'camera');
  }

  /** Adds a behaviour; it starts now if the store is running, else with `start`. */
  use(behaviour: SimBehaviour): void {
    this.#behaviours.push(behaviour);
    if (this.#running) behaviour.start();
  }

  /**
   * Sends shoppers to the simulated shelves named in `planograms` (shelf id → what lies where), about
   * one visit every `everySeconds` in the whole store; given the shoppers at the gates, each visit is
   * by one of their parties inside, and none while the store is empty. Stocks those shelves at once, so
   * call it before the daemon opens them. Returns the behaviour, whose `onAction` tells what happened.
   */
  shoppersAtShelves(
    planograms: ReadonlyMap<string, readonly PlanogramEntry[]>,
    catalogue: ReadonlyMap<string, Product>,
    everySeconds: number,
    atGates?: GateShoppers,
  ): ShelfShoppers {
    const shoppers = new ShelfShoppers({
      shelves: [...planograms].map(([id, planogram]) => ({ shelf: this.shelf(id), planogram })),
      catalogue,
      clock: this.clock,
      random: this.random.fork('shoppers'),
      everySeconds,
      log: this.#log,
      ...(atGates ? { inside: () => atGates.partiesInside } : {}),
    });
    this.use(shoppers);
    return shoppers;
  }

  /**
   * Sends shoppers through the simulated gates named in `setup` (in at the entries, holding their
   * credentials to the simulated scanners there; out at the exits), about one arrival every
   * `everySeconds`, and a fire drill every `fireDrillEveryMinutes` if not 0. Throws for a gate or
   * scanner that is not simulated. Returns the behaviour, whose journeys tell what the shoppers did.
   */
  shoppersAtGates(setup: GateShoppersSetup): GateShoppers {
    const { gates, scanners, ...rest } = setup;
    const scannerAt = (gateId: string, kind: 'qr' | 'palm') => {
      const scanner = scanners.find((s) => s.gateId === gateId && s.kind === kind);
      return scanner ? this.scanner(scanner.id) : undefined;
    };
    const exit = (gate: GateShoppersSetup['gates'][number]) => ({
      gateId: gate.id,
      chip: this.gpio(gate.id),
      profile: gate.profile,
    });
    const entry = (gate: GateShoppersSetup['gates'][number]) => ({
      ...exit(gate),
      qr: scannerAt(gate.id, 'qr'),
      palm: scannerAt(gate.id, 'palm'),
    });
    const shoppers = new GateShoppers({
      ...rest,
      entries: gates.filter((g) => g.role === 'entry').map(entry),
      exits: gates.filter((g) => g.role === 'exit').map(exit),
      clock: this.clock,
      random: this.random.fork('gate-shoppers'),
      log: this.#log,
    });
    this.use(shoppers);
    return shoppers;
  }

  /** Lets the fault scheduler also fail single plates of the simulated shelves: dead, stuck or noisy. */
  addPlateFaults(): void {
    this.faults.add(...[...this.#shelves].map(([id, shelf]) => plateTarget(id, shelf)));
  }

  /** Hears every fault as it is injected; returns the unsubscribe function. */
  onFault(listener: (fault: Fault) => void): () => void {
    this.#faultListeners.add(listener);
    return () => this.#faultListeners.delete(listener);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts every behaviour, in the order they were added. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const behaviour of this.#behaviours) behaviour.start();
    this.#log.info(
      {
        gates: this.#gates.size,
        scanners: this.#scanners.size,
        shelves: this.#shelves.size,
        cameras: this.#cameras.size,
        seed: this.random.seed,
      },
      'simulated store running',
    );
  }

  /**
   * Stops every behaviour (last added first), ends the faults under way, and closes every device:
   * gate outputs fall to their safe levels and no timer of the sim is left to keep the process alive.
   */
  stop(): void {
    if (this.#running) {
      this.#running = false;
      for (const behaviour of [...this.#behaviours].reverse()) {
        try {
          behaviour.stop();
        } catch (error) {
          this.#log.error({ err: error, behaviour: behaviour.name }, 'simulated behaviour failed to stop');
        }
      }
    }
    for (const chip of this.#gates.values()) chip.close();
    for (const link of [...this.#scanners.values(), ...this.#shelves.values()]) void link.close();
    for (const camera of this.#cameras.values()) void camera.close();
  }
}

function found<T>(devices: Map<string, T>, id: string, kind: string): T {
  const device = devices.get(id);
  if (!device) throw new Error(`no simulated ${kind} "${id}" in the configuration`);
  return device;
}
