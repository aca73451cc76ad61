// Shoppers at the shelves: now and then someone reaches into a shelf, maybe rests a hand on it first,
// takes one or two units of a product and walks on; sometimes puts one back a little later, or only
// touches the shelf and takes nothing. The shelves feel it through their physics, and the truth of
// every action is kept, so tests and the shelf evaluation can score what the daemon made of it.
// Where shoppers also come through the gates, a visit is made by one of the parties in the store.
import type { SimShelf } from '../drivers/weight/sim.js';
import type { PlanogramEntry, Product } from '../sensing/types.js';
import type { Clock, TimerHandle } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import type { Random } from '../system/random.js';
import type { SimBehaviour } from './behaviour.js';

/** What a simulated shopper did at a shelf, as it happened. */
export interface ShelfAction {
  shelfId: string;
  sku: string;
  /** Units moved: 1 or 2 for a pick, 1 for a put, 0 for a touch. */
  qty: number;
  direction: 'pick' | 'put' | 'touch';
  plates: number[];
  /** Weight moved (pick, put) or the hand's force (touch); never negative. */
  grams: number;
  /** What each plate of `plates` gained for good: negative for a pick, zeros for a touch. */
  plateDeltas: number[];
  /** When the load changed, or a touching hand came. */
  at: number;
  /** When the hand let go after a touch; `at` for a pick or put. */
  until: number;
  /** The party that did it (its journey's id at the gates); absent where nobody is known to be inside. */
  by?: number;
}

/** How shoppers behave; each a chance per visit unless said otherwise. */
export interface ShopperHabits {
  /** Touches the shelf and takes nothing. */
  touch: number;
  /** Takes two units rather than one (when two are there). */
  takeTwo: number;
  /** Rests a hand on the product's plates before taking it. */
  handFirst: number;
  /** Puts one of the units back, 5 to 40 seconds later. */
  putBack: number;
  /** Units set out per product at opening (fewer when its plates would pass 80 % of their rating). */
  stock: number;
}

export const defaultHabits: ShopperHabits = {
  touch: 0.1,
  takeTwo: 0.15,
  handFirst: 0.4,
  putBack: 0.15,
  stock: 10,
};

export interface ShelfShoppersOptions {
  shelves: readonly { shelf: SimShelf; planogram: readonly PlanogramEntry[] }[];
  catalogue: ReadonlyMap<string, Product>;
  clock: Clock;
  random: Random;
  /** Mean time between two visits anywhere in the store; 0 = nobody comes. */
  everySeconds: number;
  log: Logger;
  habits?: Partial<ShopperHabits>;
  /**
   * Who is in the store now: the journey ids of the parties inside. When given, only they visit the
   * shelves (nobody while the store is empty), and a party puts an item back only if still inside.
   */
  inside?: () => readonly number[];
}

/** A unit on a shelf: its own weight, and what it puts on each plate of its lane. */
interface Unit {
  grams: number;
  split: number[];
}

/** One product's place on a shelf, and the units on it. */
interface Lane {
  shelf: SimShelf;
  sku: string;
  plates: number[];
  product: Product;
  units: Unit[];
}

/** After an action a shelf is left alone this long, so each change settles before the next. */
const QUIET_MS = 2500;

/**
 * Shoppers visiting the shelves at random (a Poisson process), deterministic for a seed (and, with
 * `inside`, the same parties inside). The shelves are stocked when this is built, so build it before
 * the store opens; `stop` forgets put-backs due.
 */
export class ShelfShoppers implements SimBehaviour {
  readonly name = 'shelf-shoppers';
  readonly #options: ShelfShoppersOptions;
  readonly #habits: ShopperHabits;
  readonly #lanes: Lane[] = [];
  readonly #busyUntil = new Map<SimShelf, number>();
  readonly #timers = new Set<TimerHandle>();
  readonly #listeners = new Set<(action: ShelfAction) => void>();
  #running = false;

  constructor(options: ShelfShoppersOptions) {
    if (!(options.everySeconds >= 0))
      throw new RangeError(`everySeconds must be >= 0, not ${options.everySeconds}`);
    this.#options = options;
    this.#habits = { ...defaultHabits, ...options.habits };
    for (const { shelf, planogram } of options.shelves)
      for (const { sku, plates } of planogram) {
        const product = options.catalogue.get(sku);
        if (!product) throw new Error(`shelf ${shelf.id}: product "${sku}" is not in the catalogue`);
        this.#lanes.push({ shelf, sku, plates: [...plates], product, units: [] });
      }
    for (const lane of this.#lanes) this.#stock(lane);
  }

  /** Hears every action as it happens; returns the unsubscribe function. */
  onAction(listener: (action: ShelfAction) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Units of a product left on a shelf. */
  stock(shelfId: string, sku: string): number {
    return this.#lanes
      .filter((l) => l.shelf.id === shelfId && l.sku === sku)
      .reduce((n, l) => n + l.units.length, 0);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleVisit();
  }

  stop(): void {
    this.#running = false;
    for (const timer of this.#timers) this.#options.clock.clearTimeout(timer);
    this.#timers.clear();
  }

  #stock(lane: Lane): void {
    const { shelf, plates } = lane;
    const ceiling = 0.8 * shelf.capacityGrams;
    for (let k = 0; k < this.#habits.stock; k++) {
      const grams = this.#unitGrams(lane.product);
      // A unit never loads one plate with more than its weight, so this keeps every plate in range.
      if (plates.some((p) => shelf.grams(p) + grams > ceiling)) break;
      lane.units.push({ grams, split: shelf.stockItem(plates, grams) });
    }
  }

  #scheduleVisit(): void {
    const { everySeconds, random } = this.#options;
    if (!this.#running || everySeconds === 0 || this.#lanes.length === 0) return;
    this.#after(random.exponential(everySeconds * 1000), () => this.#visit());
  }

  #visit(): void {
    this.#scheduleVisit();
    const { clock, random, inside } = this.#options;
    const now = clock.now();
    // `everySeconds` is the pace of the whole store at trade. A visit due while the store is empty is
    // skipped, not saved up: a backlog would send the first party in on a spree of picks at once.
    const present = inside?.();
    if (present?.length === 0) return;
    // A shopper goes to a shelf nobody is at; with every shelf busy, this one walks past.
    const free = this.#lanes.filter((l) => (this.#busyUntil.get(l.shelf) ?? 0) <= now);
    if (free.length === 0) return;
    const lane = random.pick(free);
    // Drawn only when there are parties to choose from, so shelves alone see the same chances as ever.
    const by = present && random.pick(present);
    const habits = this.#habits;
    if (lane.units.length === 0 || random.next() < habits.touch) {
      const grams = Math.round(random.between(100, 600));
      const holdMs = Math.round(random.between(400, 1500));
      lane.shelf.press(lane.plates, grams, holdMs);
      this.#busyUntil.set(lane.shelf, now + holdMs + QUIET_MS);
      const plateDeltas = lane.plates.map(() => 0);
      this.#tell(lane, { direction: 'touch', qty: 0, grams, plateDeltas }, by, holdMs);
      return;
    }
    const qty = lane.units.length >= 2 && random.next() < habits.takeTwo ? 2 : 1;
    if (random.next() >= habits.handFirst) {
      this.#pick(lane, qty, by);
      return;
    }
    const holdMs = Math.round(random.between(300, 1000));
    lane.shelf.press(lane.plates, Math.round(random.between(50, 300)), holdMs);
    this.#busyUntil.set(lane.shelf, now + holdMs + QUIET_MS);
    // The party whose hand is on the shelf takes the item, even if it heads for the exit meanwhile.
    this.#after(holdMs, () => this.#pick(lane, qty, by));
  }

  #pick(lane: Lane, qty: number, by: number | undefined): void {
    const { clock, random } = this.#options;
    const taken: Unit[] = [];
    for (let k = 0; k < qty; k++) taken.push(...lane.units.splice(random.int(lane.units.length), 1));
    const deltas = lane.plates.map(() => 0);
    let grams = 0;
    for (const unit of taken) {
      lane.shelf.liftItem(lane.plates, unit.split).forEach((g, i) => {
        deltas[i] = (deltas[i] as number) - g;
      });
      grams += unit.grams;
    }
    this.#busyUntil.set(lane.shelf, clock.now() + QUIET_MS);
    this.#tell(lane, { direction: 'pick', qty, grams, plateDeltas: deltas }, by);
    if (random.next() < this.#habits.putBack)
      this.#after(random.between(5000, 40_000), () => this.#putBack(lane, random.pick(taken), by));
  }

  #putBack(lane: Lane, unit: Unit, by: number | undefined): void {
    const { clock, inside, log } = this.#options;
    // A party that is no longer inside took the unit home: it stays off the shelf.
    if (inside && by !== undefined && !inside().includes(by)) {
      log.debug({ shelfId: lane.shelf.id, sku: lane.sku, by }, 'simulated shopper left with the item');
      return;
    }
    const now = clock.now();
    // The pick before it marked the shelf, so the entry is there.
    const busy = this.#busyUntil.get(lane.shelf) as number;
    if (busy > now) {
      this.#after(busy - now, () => this.#putBack(lane, unit, by));
      return;
    }
    // It lands wherever the shopper sets it down, not where it was.
    unit.split = lane.shelf.placeItem(lane.plates, unit.grams);
    lane.units.push(unit);
    this.#busyUntil.set(lane.shelf, now + QUIET_MS);
    this.#tell(lane, { direction: 'put', qty: 1, grams: unit.grams, plateDeltas: [...unit.split] }, by);
  }

  /** A unit's weight: the product's mean give or take its spread, never under half the mean. */
  #unitGrams(product: Product): number {
    const grams = product.grams + product.spreadGrams * this.#options.random.gaussian();
    return Math.max(product.grams / 2, grams);
  }

  #tell(
    lane: Lane,
    what: Pick<ShelfAction, 'direction' | 'qty' | 'grams' | 'plateDeltas'>,
    by: number | undefined,
    holdMs = 0,
  ): void {
    const at = this.#options.clock.now();
    const action: ShelfAction = {
      shelfId: lane.shelf.id,
      sku: lane.sku,
      ...what,
      plates: [...lane.plates],
      at,
      until: at + holdMs,
      ...(by === undefined ? {} : { by }),
    };
    this.#options.log.debug({ ...action }, 'simulated shopper');
    for (const listener of [...this.#listeners]) listener(action);
  }

  #after(ms: number, fn: () => void): void {
    const timer = this.#options.clock.setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }
}
