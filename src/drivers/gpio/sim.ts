// A GPIO chip in memory: what a gate's lines would do, with the wires driven by the simulated store
// or a test. Outputs keep a timestamped history so a test can check what the gate did and when.
import type { Clock, TimerHandle } from '../../system/clock.js';
import type { GpioChip, GpioLine, GpioLineSpec, Level } from './port.js';

/** One write to an output, as the chip saw it. `level` is logical (active-low already applied). */
export interface GpioWrite {
  at: number;
  level: Level;
}

const invert = (level: Level): Level => (level === 1 ? 0 : 1);

// Active-low is its own inverse: the same mapping takes wire to logical and back.
const wireOf = (spec: GpioLineSpec, level: Level): Level => (spec.activeLow ? invert(level) : level);

class SimGpioLine implements GpioLine {
  readonly name: string;
  readonly spec: GpioLineSpec;
  readonly writes: GpioWrite[];
  #level: Level = 0;
  #wire: Level;
  #pending: TimerHandle | undefined;
  #closed = false;
  readonly #listeners = new Set<(level: Level) => void>();
  readonly #clock: Clock;
  readonly #release: () => void;
  /** Tells the chip about every write to an output. */
  readonly #written: (name: string, level: Level) => void;

  constructor(
    spec: GpioLineSpec,
    wire: Level,
    writes: GpioWrite[],
    clock: Clock,
    release: () => void,
    written: (name: string, level: Level) => void,
  ) {
    this.name = spec.name;
    this.spec = spec;
    this.writes = writes;
    this.#clock = clock;
    this.#release = release;
    this.#written = written;
    this.#wire = wire;
    if (spec.direction === 'out') this.#set(spec.safeLevel ?? 0);
    else this.#level = this.#logical(wire);
  }

  /** The logical level, also after close (the last one the line had). */
  get level(): Level {
    return this.#level;
  }

  /** The level on the wire: what a multimeter would read. */
  get wire(): Level {
    return this.#wire;
  }

  read(): Level {
    this.#assertOpen();
    return this.#level;
  }

  write(level: Level): void {
    this.#assertOpen();
    if (this.spec.direction !== 'out')
      throw new Error(`GPIO line "${this.name}" is an input; cannot write it`);
    this.#set(level);
  }

  watch(listener: (level: Level) => void): () => void {
    this.#assertOpen();
    if (this.spec.direction !== 'in')
      throw new Error(`GPIO line "${this.name}" is an output; cannot watch it`);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending !== undefined) this.#clock.clearTimeout(this.#pending);
    this.#pending = undefined;
    this.#listeners.clear();
    this.#release();
  }

  /** Brings the line to its safe level; outputs only. */
  fallSafe(): void {
    if (this.spec.direction === 'out' && !this.#closed) this.#set(this.spec.safeLevel ?? 0);
  }

  /**
   * Drives an input's wire. A change reaches `read` and the watchers once it has held for debounceMs;
   * a bounce back within that time is swallowed, as the kernel's debounce would.
   */
  drive(wire: Level): void {
    this.#wire = wire;
    const level = this.#logical(wire);
    if (this.#pending !== undefined) this.#clock.clearTimeout(this.#pending);
    this.#pending = undefined;
    if (level === this.#level) return;
    const debounceMs = this.spec.debounceMs ?? 0;
    if (debounceMs <= 0) this.#report(level);
    else
      this.#pending = this.#clock.setTimeout(() => {
        this.#pending = undefined;
        this.#report(level);
      }, debounceMs);
  }

  #report(level: Level): void {
    this.#level = level;
    for (const listener of [...this.#listeners]) listener(level);
  }

  #set(level: Level): void {
    this.#level = level;
    this.#wire = this.#logical(level);
    this.writes.push({ at: this.#clock.now(), level });
    this.#written(this.name, level);
  }

  #logical(level: Level): Level {
    return wireOf(this.spec, level);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`GPIO line "${this.name}" is closed`);
  }
}

/** A simulated GPIO chip. Lines are addressed by name; a line can be opened once until closed. */
export class SimGpioChip implements GpioChip {
  readonly #clock: Clock;
  readonly #lines = new Map<string, SimGpioLine>();
  /** Wire levels set before their input was opened (the world exists before the gate does). */
  readonly #wires = new Map<string, Level>();
  /** The last line opened under each name, open or closed, so levels can be read after close. */
  readonly #last = new Map<string, SimGpioLine>();
  readonly #writes = new Map<string, GpioWrite[]>();
  /** Logical levels set on inputs not opened yet: their polarity is known only once the gate opens them. */
  readonly #pending = new Map<string, Level>();
  readonly #outputListeners = new Set<(name: string, level: Level) => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  open(spec: GpioLineSpec): GpioLine {
    if (this.#lines.has(spec.name)) throw new Error(`GPIO line "${spec.name}" is busy (already open)`);
    const pending = this.#pending.get(spec.name);
    this.#pending.delete(spec.name);
    if (pending !== undefined && spec.direction === 'in') this.#wires.set(spec.name, wireOf(spec, pending));
    // An unwired input rests inactive: pulled up when active-low, pulled down otherwise.
    const wire = this.#wires.get(spec.name) ?? wireOf(spec, 0);
    const writes = this.#writes.get(spec.name) ?? [];
    this.#writes.set(spec.name, writes);
    const line = new SimGpioLine(
      spec,
      wire,
      writes,
      this.#clock,
      () => this.#lines.delete(spec.name),
      (name, level) => {
        for (const listener of [...this.#outputListeners]) listener(name, level);
      },
    );
    this.#lines.set(spec.name, line);
    this.#last.set(spec.name, line);
    return line;
  }

  failSafe(): void {
    for (const line of this.#lines.values()) line.fallSafe();
  }

  close(): void {
    this.failSafe();
    for (const line of [...this.#lines.values()]) line.close();
  }

  /** Sets the electrical level on an input's wire (before or after the gate opened it). */
  drive(name: string, wire: Level): void {
    const line = this.#lines.get(name);
    if (line?.spec.direction === 'out') throw new Error(`GPIO line "${name}" is an output; cannot drive it`);
    this.#wires.set(name, wire);
    this.#pending.delete(name);
    line?.drive(wire);
  }

  /**
   * Sets an input to a logical level (1 = active: beam broken, button pressed, alarm on) and puts on
   * the wire what the line's polarity makes of it, as a person or a sensor would: whoever drives the
   * line need not know how it is wired. The polarity is the open line's, else the one it had when last
   * open; an input never opened keeps the level and puts it on the wire with the polarity it opens with
   * (until then `wire` and `level` know nothing of it, and a later `drive` wins).
   */
  set(name: string, level: Level): void {
    const line = this.#lines.get(name) ?? this.#last.get(name);
    if (line?.spec.direction === 'out') throw new Error(`GPIO line "${name}" is an output; cannot set it`);
    if (line) this.drive(name, wireOf(line.spec, level));
    else {
      this.#wires.delete(name);
      this.#pending.set(name, level);
    }
  }

  /**
   * Hears every write to any output as it happens (logical level; safe levels on open and close, and
   * a repeat of the level the line already has, included); returns the unsubscribe function.
   */
  onOutput(listener: (name: string, level: Level) => void): () => void {
    this.#outputListeners.add(listener);
    return () => this.#outputListeners.delete(listener);
  }

  /** The logical level of a line, the last one if it is closed; undefined if it was never opened. */
  level(name: string): Level | undefined {
    return this.#last.get(name)?.level;
  }

  /** The electrical level on a line's wire; undefined if it was never opened nor driven. */
  wire(name: string): Level | undefined {
    const line = this.#last.get(name);
    if (line?.spec.direction === 'out') return line.wire;
    return this.#wires.get(name) ?? line?.wire;
  }

  /** Every logical write to an output since it was first opened, oldest first, safe levels included. */
  writes(name: string): readonly GpioWrite[] {
    return this.#writes.get(name) ?? [];
  }

  /** Whether a line is open now. */
  isOpen(name: string): boolean {
    return this.#lines.has(name);
  }
}
