// Every shelf of the hub at work: one station per shelf (wiring, sensor, machine), one kept-open link
// per serial bus or simulated shelf, and the routing between them. A bus's port going away takes
// every board on it down; a board that stops answering takes down only the plates wired to it.
import type { HubConfig } from '../config/load.js';
import type { ShelfConfig } from '../config/schema.js';
import type { DeviceLink } from '../drivers/link.js';
import { nominalRate, nominalSlope } from '../drivers/weight/buses.js';
import type { WeightBus } from '../drivers/weight/port.js';
import { defaultSpread, explainChange, resolveItemOptions } from '../sensing/items.js';
import type { PlateCalibration, Product } from '../sensing/types.js';
import type { PlateWire } from '../sensing/wiring.js';
import type { SimStore } from '../sim/store.js';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { CalibrationStore } from './calibration-store.js';
import { createDeviceLinkActor, type DeviceLinkActor } from './device-link.js';
import { motionOf, type ShelfEmitted } from './shelf.js';
import { type Sensor, ShelfStation } from './shelf-station.js';
import { reasonOf, type StatusEmitted } from './status.js';

export interface ShelvesOptions {
  config: HubConfig;
  clock: Clock;
  log: Logger;
  /** Builds a shelf's sensor with the calibration it starts from. */
  makeSensor: (shelf: ShelfConfig, calibration: PlateCalibration[], rateHz: number) => Sensor;
  /** Opens nothing: builds the link of a configured serial bus. */
  makeBus: (busId: string) => WeightBus;
  onStatus: (status: StatusEmitted) => void;
  onShelf: (shelfId: string, event: ShelfEmitted) => void;
}

/** The catalogue as item inference takes it; a product without a measured spread gets the default. */
export function productsOf(products: HubConfig['catalogue']['products']): Map<string, Product> {
  return new Map(
    products.map((p) => [
      p.sku,
      { sku: p.sku, name: p.name, grams: p.grams, spreadGrams: p.spreadGrams ?? defaultSpread(p.grams) },
    ]),
  );
}

/** The board channels a shelf's plates are wired to, plate by plate (a simulated shelf is its own board). */
export function shelfWires(shelf: ShelfConfig): PlateWire[] {
  return shelf.driver === 'sim'
    ? Array.from({ length: shelf.plates }, (_, channel) => ({ board: shelf.id, channel }))
    : (shelf.wiring ?? []).flatMap((w) => w.channels.map((channel) => ({ board: w.board, channel })));
}

/** What a saved calibration is tied to: a rewired shelf starts afresh. */
export function wiringFingerprint(wires: readonly PlateWire[]): string {
  return wires.map((w) => `${w.board}:${w.channel}`).join(',');
}

/** Each plate's calibration before any tare or span: the board profile's nominal scale, no offset. */
export function defaultCalibration(wires: readonly PlateWire[], config: HubConfig): PlateCalibration[] {
  return wires.map((w) => {
    const profile = config.boardProfiles.get(w.board);
    return { slope: profile ? nominalSlope(profile) : 1, offset: 0 };
  });
}

/** The rate a shelf's samples come at: its own for a simulated shelf, else its lead board's nominal one. */
export function shelfRateHz(shelf: ShelfConfig, config: HubConfig): number {
  if (shelf.driver === 'sim') return shelf.sampleRateHz;
  const lead = shelf.wiring?.[0]?.board ?? '';
  const bus = config.devices.buses.find((b) => b.boards.some((board) => board.id === lead));
  return bus ? nominalRate(bus, lead, config.boardProfiles) : 10;
}

export class Shelves {
  readonly #opts: ShelvesOptions;
  readonly #log: Logger;
  readonly #stations = new Map<string, ShelfStation>();
  /** Stations by the board (or simulated shelf) their plates are wired to. */
  readonly #byBoard = new Map<string, ShelfStation[]>();
  readonly #links: DeviceLinkActor[] = [];
  readonly #buses = new Map<string, WeightBus>();

  constructor(opts: ShelvesOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ part: 'shelves' });
  }

  get stations(): ReadonlyMap<string, ShelfStation> {
    return this.#stations;
  }

  /** Builds and starts one shelf's station; throws when it cannot (the caller reports it offline). */
  startShelf(shelf: ShelfConfig, sim: SimStore | undefined): void {
    const { config, clock } = this.#opts;
    const wires = shelfWires(shelf);
    const store = new CalibrationStore(config.dataDir, this.#log);
    const fingerprint = wiringFingerprint(wires);
    const calibration = store.load(shelf.id, wires.length, fingerprint) ?? defaultCalibration(wires, config);
    const products = productsOf(config.catalogue.products);
    const minConfidence = shelf.sensing?.minConfidence;
    // Checked here: a bad option fails this shelf's start, never a decision.
    const itemOptions = resolveItemOptions(minConfidence === undefined ? {} : { minConfidence });
    const station = new ShelfStation({
      shelfId: shelf.id,
      wires,
      sensor: this.#opts.makeSensor(shelf, calibration, shelfRateHz(shelf, config)),
      explain: (change) => explainChange(change, shelf.planogram, products, itemOptions),
      clock,
      save: (c) => store.save(shelf.id, fingerprint, c, new Date(clock.now())),
    });
    const link = shelf.driver === 'sim' ? sim?.shelf(shelf.id) : undefined;
    if (shelf.driver === 'sim' && !link) throw new Error('no simulated store');
    station.actor.on('status', (e) => this.#opts.onStatus(e));
    station.actor.on('shelf', (e) => this.#opts.onShelf(shelf.id, e));
    // A throw inside the machine (a listener, item inference) takes this shelf offline, not the hub.
    station.actor.subscribe({
      error: (err: unknown) => {
        this.#log.error({ err, shelfId: shelf.id }, 'shelf machine failed');
        this.#opts.onStatus({
          type: 'status',
          deviceId: shelf.id,
          deviceKind: 'shelf',
          status: 'offline',
          reason: `internal error: ${reasonOf(err)}`,
        });
      },
    });
    station.actor.start();
    this.#stations.set(shelf.id, station);
    for (const board of station.wiring.boards) {
      const list = this.#byBoard.get(board) ?? [];
      list.push(station);
      this.#byBoard.set(board, list);
    }
    if (link)
      this.#keepOpen(shelf.id, link, (batch) => station.push({ ...batch, boardId: shelf.id }), [shelf.id]);
  }

  /**
   * Sends every board the shelf is wired to its own zero command (the profile's), one after the other;
   * resolves with what was done, rejects with the first board that refused or failed.
   */
  async zeroBoards(shelfId: string): Promise<string> {
    const station = this.#stations.get(shelfId);
    if (!station) throw new Error(`no shelf "${shelfId}" on this hub`);
    const boards = [...station.wiring.boards];
    for (const board of boards) {
      const bus = [...this.#buses.values()].find((b) =>
        this.#opts.config.devices.buses.some((c) => c.id === b.id && c.boards.some((x) => x.id === board)),
      );
      if (!bus) throw new Error(`board ${board} of ${shelfId} is simulated or not on a bus: use shelf.tare`);
      await bus.zero(board);
    }
    return `boards ${boards.join(', ')} of ${shelfId} zeroed`;
  }

  /** Tells the shelves wired to these boards that the boards are down, and why. */
  boardsDown(boards: readonly string[], reason: string): void {
    for (const board of boards)
      for (const station of this.#byBoard.get(board) ?? [])
        station.actor.send({ type: 'source.down', source: board, reason });
  }

  /** Builds and opens one serial bus; its boards' samples go to the stations wired to them. */
  startBus(busId: string): void {
    const bus = this.#opts.makeBus(busId);
    this.#buses.set(busId, bus);
    const boards = (this.#opts.config.devices.buses.find((b) => b.id === busId)?.boards ?? []).map(
      (b) => b.id,
    );
    bus.onBoardStatus(({ boardId, online, reason }) => {
      for (const station of this.#byBoard.get(boardId) ?? [])
        station.actor.send(
          online ? { type: 'source.up', source: boardId } : { type: 'source.down', source: boardId, reason },
        );
    });
    this.#keepOpen(busId, bus, (batch) => this.#route(batch), boards, true);
  }

  #route(batch: Parameters<ShelfStation['push']>[0]): void {
    for (const station of this.#byBoard.get(batch.boardId) ?? []) station.push(batch);
  }

  /**
   * Keeps a link open with the device-link machine. Its health is not a device's own: it is passed to
   * the stations as their boards going up (simulated shelves) or down with the port's reason.
   */
  #keepOpen<T>(
    linkId: string,
    link: DeviceLink<T>,
    onData: (data: T) => void,
    boards: string[],
    boardsReportThemselves = false,
  ): void {
    const actor = createDeviceLinkActor(
      { deviceId: linkId, deviceKind: 'shelf', link, onData },
      this.#opts.clock,
    );
    actor.on('status', ({ status, reason }) => {
      if (reason === 'closed') return;
      if (status === 'offline')
        this.boardsDown(boards, boardsReportThemselves ? `${linkId}: ${reason}` : reason);
      else if (!boardsReportThemselves)
        for (const board of boards)
          for (const station of this.#byBoard.get(board) ?? [])
            station.actor.send({ type: 'source.up', source: board });
    });
    actor.subscribe({
      error: (err: unknown) => {
        this.#log.error({ err, linkId }, 'shelf link failed');
        this.boardsDown(boards, `internal error: ${reasonOf(err)}`);
      },
    });
    actor.start();
    this.#links.push(actor);
  }

  /** What diagnostics and `hub.status` show of the shelves and buses. */
  report() {
    return {
      shelves: [...this.#stations.values()].map((station) => {
        const snapshot = station.actor.getSnapshot();
        const { context } = snapshot;
        return {
          shelfId: station.id,
          motion: motionOf(snapshot),
          status: context.status,
          reason: context.reason,
          faults: context.faults,
          counts: context.counts,
          calibration: station.calibration(),
          ...(station.job ? { job: station.job } : {}),
        };
      }),
      buses: [...this.#buses.values()].map((bus) => ({
        busId: bus.id,
        ...bus.counters(),
        boards: bus.boards?.(),
      })),
    };
  }

  /** The actors to close on stop: links first (no more samples), then the shelves' machines. */
  actors(): { links: DeviceLinkActor[]; stations: ShelfStation[] } {
    return { links: this.#links.splice(0), stations: [...this.#stations.values()] };
  }
}
