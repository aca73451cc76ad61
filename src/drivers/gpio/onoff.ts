// The real GPIO adapter, over onoff 6 (sysfs GPIO). onoff and its native epoll binding are imported
// when a chip is opened, so a hub whose gates are simulated never loads them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Direction, Edge, Options } from 'onoff';
import type { GpioChip, GpioLine, GpioLineSpec, Level } from './port.js';
import {
  describeGpioChip,
  type GpioResolverOptions,
  type ResolvedGpioChip,
  resolveGpioBase,
  SYSFS_GPIO_ROOT,
  sysfsGpioNumber,
} from './resolver.js';

export type OnoffWatcher = (err: Error | null | undefined, value: Level) => void;

/** The part of an onoff `Gpio` this adapter uses. */
export interface OnoffGpio {
  readSync(): Level;
  writeSync(value: Level): void;
  watch(callback: OnoffWatcher): void;
  unwatch(callback?: OnoffWatcher): void;
  unexport(): void;
}

/** The part of the onoff module this adapter uses. */
export interface OnoffModule {
  Gpio: {
    new (gpio: number, direction: Direction, edge?: Edge, options?: Options): OnoffGpio;
    readonly accessible: boolean;
  };
}

export interface OnoffChipOptions extends GpioResolverOptions {
  /** Line name from the gate profile → the line's number on its chip (the pinout's "GPIO17" is 17). */
  lines: Record<string, number>;
  /** The gate these lines belong to, so a technician knows which one a message is about. */
  gateId?: string;
  /**
   * Errors onoff reports while watching an input. Without this they are dropped: onoff reads the line
   * again after an epoll error and delivers that level anyway, so only the diagnostic is lost.
   */
  onError?: (error: Error, line: string) => void;
  /** Loads onoff; tests give a fake. Defaults to importing the real package. */
  loadOnoff?: () => Promise<OnoffModule>;
}

export interface OnoffGpioChip extends GpioChip {
  /** The kernel's chip the lines are on and how it was chosen, for the log. */
  readonly kernelChip: ResolvedGpioChip;
  /** Writes every output's safe level synchronously; safe to call from an exit handler; never throws. */
  failSafe(): void;
}

/**
 * Sysfs GPIO numbers held by lines open in this process. onoff happily re-exports a line that is already
 * exported, so without this two gates configured on the same wire would silently share it.
 */
const claimed = new Map<number, string>();

/**
 * Opens the GPIO chip of one gate: resolves the kernel's chip, checks every mapped line exists on it and
 * that GPIO is accessible, before any line is touched; throws what a technician should fix. `root` only
 * moves where the chips are read: onoff itself always exports under /sys/class/gpio.
 */
export async function openOnoffChip(options: OnoffChipOptions): Promise<OnoffGpioChip> {
  const owner = options.gateId === undefined ? 'this hub' : `gate "${options.gateId}"`;
  const kernelChip = await resolveGpioBase({ root: options.root, chip: options.chip, base: options.base });
  const numbers = sysfsNumbers(options.lines, kernelChip, owner);
  const onoff = await (options.loadOnoff ?? loadOnoff)();
  if (!onoff.Gpio.accessible) throw new Error(explainGpioInaccessible());
  return new OnoffChip(onoff, kernelChip, numbers, owner, options.onError);
}

/** Imports onoff and its native epoll binding; throws what to reinstall when that fails. */
export async function loadOnoff(): Promise<OnoffModule> {
  return import('onoff').catch(
    /* c8 ignore start -- only when the epoll binding is missing or was built for another Node */
    (err: unknown) => {
      throw new Error(
        `cannot load the GPIO driver (onoff with its native epoll binding): ${(err as Error).message}; ` +
          'reinstall with a compiler present (npm ci, with epoll in allowScripts)',
      );
    },
    /* c8 ignore stop */
  );
}

/** Says why sysfs GPIO under `root` cannot be used by this process (onoff's `Gpio.accessible` is false). */
export function explainGpioInaccessible(root: string = SYSFS_GPIO_ROOT): string {
  const exportFile = join(root, 'export');
  if (!existsSync(exportFile))
    return (
      `GPIO is not available: there is no ${exportFile}, so this kernel has no sysfs GPIO ` +
      '(CONFIG_GPIO_SYSFS); run a kernel built with it or use the simulated gate driver'
    );
  return (
    `GPIO is not available: this user may not write ${exportFile}; add the service user to the gpio ` +
    'group (Raspberry Pi OS) or grant it with a udev rule'
  );
}

function sysfsNumbers(lines: Record<string, number>, chip: ResolvedGpioChip, owner: string) {
  const numbers = new Map<string, number>();
  const byNumber = new Map<number, string>();
  for (const [name, offset] of Object.entries(lines)) {
    let number: number;
    try {
      number = sysfsGpioNumber(chip, offset);
    } catch (err) {
      throw new Error(`GPIO line "${name}" of ${owner}: ${(err as Error).message}`);
    }
    const other = byNumber.get(number);
    if (other !== undefined)
      throw new Error(
        `GPIO lines "${other}" and "${name}" of ${owner} are both mapped to line ${offset}: each needs its own wire`,
      );
    byNumber.set(number, name);
    numbers.set(name, number);
  }
  return numbers;
}

class OnoffChip implements OnoffGpioChip {
  readonly kernelChip: ResolvedGpioChip;
  readonly #onoff: OnoffModule;
  readonly #numbers: ReadonlyMap<string, number>;
  readonly #owner: string;
  readonly #onError: OnoffChipOptions['onError'];
  readonly #open = new Map<string, OnoffLine>();

  constructor(
    onoff: OnoffModule,
    kernelChip: ResolvedGpioChip,
    numbers: ReadonlyMap<string, number>,
    owner: string,
    onError: OnoffChipOptions['onError'],
  ) {
    this.#onoff = onoff;
    this.kernelChip = kernelChip;
    this.#numbers = numbers;
    this.#owner = owner;
    this.#onError = onError;
  }

  open(spec: GpioLineSpec): GpioLine {
    const { name } = spec;
    if (this.#open.has(name)) throw new Error(`GPIO line "${name}" of ${this.#owner} is busy (already open)`);
    const number = this.#numbers.get(name);
    if (number === undefined) {
      const mapped = [...this.#numbers.keys()].map((n) => `"${n}"`).join(', ') || 'none';
      throw new Error(
        `${this.#owner} has no GPIO line "${name}" in its line map, and its gate profile uses it: map it to ` +
          `the line's number on the chip, the pinout's GPIOnn (lines mapped: ${mapped})`,
      );
    }
    const where = `GPIO line "${name}" of ${this.#owner} (line ${number - this.kernelChip.base} of ${describeGpioChip(this.kernelChip)}, sysfs gpio${number})`;
    const holder = claimed.get(number);
    if (holder !== undefined)
      throw new Error(`cannot open ${where}: the wire is already in use by ${holder}`);
    const gpio = this.#export(spec, number, where);
    claimed.set(number, `GPIO line "${name}" of ${this.#owner}`);
    const line = new OnoffLine(spec, gpio, where, this.#onError, () => {
      this.#open.delete(name);
      claimed.delete(number);
    });
    this.#open.set(name, line);
    if (spec.direction === 'out') {
      // The direction already set the wire; this write confirms it, because onoff ignores configuration
      // errors on a line someone else exported, which could leave it an input or at another level.
      try {
        line.fallSafe();
      } catch (err) {
        closeQuietly(line);
        throw new Error(
          `cannot bring ${where} to its safe level: ${(err as Error).message}; ` +
            'is another program holding the line as an input?',
        );
      }
    }
    return line;
  }

  close(): void {
    const failures: string[] = [];
    for (const line of this.#open.values()) {
      try {
        line.fallSafe();
      } catch (err) {
        failures.push(`${line.where} may not be at its safe level: ${(err as Error).message}`);
      }
    }
    for (const line of [...this.#open.values()]) {
      try {
        line.close();
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(`closing the GPIO of ${this.#owner}: ${failures.join('; ')}`);
  }

  failSafe(): void {
    for (const line of this.#open.values()) {
      try {
        line.fallSafe();
      } catch {
        // An exit handler can do nothing about one output; the next ones still deserve their try.
      }
    }
  }

  #export(spec: GpioLineSpec, number: number, where: string) {
    const activeLow = spec.activeLow ?? false;
    // sysfs takes "high"/"low" as the wire level, ignoring active_low (the kernel sets it raw), so the
    // output starts at its safe level without a glitch; "out" would drive the wire low first, which
    // energises an active-low relay for a moment.
    const wire = (spec.safeLevel ?? 0) ^ (activeLow ? 1 : 0);
    const direction: Direction = spec.direction === 'in' ? 'in' : wire === 1 ? 'high' : 'low';
    const options: Options = { activeLow, reconfigureDirection: true };
    if (spec.direction === 'in') options.debounceTimeout = spec.debounceMs ?? 0;
    try {
      return new this.#onoff.Gpio(number, direction, spec.direction === 'in' ? 'both' : 'none', options);
    } catch (err) {
      throw new Error(`cannot open ${where}: ${explainExportError(err)}`, { cause: err });
    }
  }
}

class OnoffLine implements GpioLine {
  readonly name: string;
  readonly where: string;
  readonly #spec: GpioLineSpec;
  readonly #gpio: OnoffGpio;
  readonly #onError: OnoffChipOptions['onError'];
  readonly #release: () => void;
  readonly #listeners = new Set<(level: Level) => void>();
  /** The level watchers last heard, so a bounce that settles where it started is not a change. */
  #level: Level = 0;
  #closed = false;

  constructor(
    spec: GpioLineSpec,
    gpio: OnoffGpio,
    where: string,
    onError: OnoffChipOptions['onError'],
    release: () => void,
  ) {
    this.name = spec.name;
    this.where = where;
    this.#spec = spec;
    this.#gpio = gpio;
    this.#onError = onError;
    this.#release = release;
  }

  read(): Level {
    this.#assertOpen();
    try {
      return this.#gpio.readSync();
    } catch (err) {
      throw new Error(`reading ${this.where} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  write(level: Level): void {
    this.#assertOpen();
    if (this.#spec.direction !== 'out')
      throw new Error(`GPIO line "${this.name}" is an input; cannot write it`);
    try {
      this.#gpio.writeSync(level);
    } catch (err) {
      throw new Error(`writing ${this.where} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  watch(listener: (level: Level) => void): () => void {
    this.#assertOpen();
    if (this.#spec.direction !== 'in')
      throw new Error(`GPIO line "${this.name}" is an output; cannot watch it`);
    if (this.#listeners.size === 0) {
      this.#level = this.read();
      this.#gpio.watch(this.#changed);
    }
    this.#listeners.add(listener);
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0 && !this.#closed)
        this.#gpio.unwatch(this.#changed);
    };
  }

  /**
   * Releases the line. An input is unexported; an output stays exported, so the kernel keeps driving
   * the level last written (its safe level, when the chip closes): unexporting hands the pin back to
   * its default, an input on most boards, and a relay would drop until the next owner drives it.
   */
  close(): void {
    this.#letGo(this.#spec.direction === 'in');
  }

  /** Gives the line up after a failed open: unexported, whatever its direction. */
  abandon(): void {
    this.#letGo(true);
  }

  #letGo(unexport: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    try {
      if (unexport) this.#gpio.unexport();
      else this.#gpio.unwatch();
    } catch (err) {
      throw new Error(`releasing ${this.where} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#release();
    }
  }

  /** Writes the safe level of an open output; throws what the kernel said. Inputs are left alone. */
  fallSafe(): void {
    if (this.#spec.direction === 'out' && !this.#closed) this.#gpio.writeSync(this.#spec.safeLevel ?? 0);
  }

  // onoff has already applied active-low (the kernel's active_low), so `value` is the logical level.
  readonly #changed: OnoffWatcher = (err, value) => {
    if (err) this.#onError?.(new Error(`watching ${this.where}: ${err.message}`, { cause: err }), this.name);
    if (this.#closed || value === this.#level) return;
    this.#level = value;
    for (const listener of [...this.#listeners]) listener(value);
  };

  #assertOpen(): void {
    if (this.#closed) throw new Error(`GPIO line "${this.name}" is closed`);
  }
}

function closeQuietly(line: OnoffLine): void {
  try {
    line.abandon();
  } catch {
    // The open already failed with the reason that matters; a failed unexport would only hide it.
  }
}

function explainExportError(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  switch (code) {
    case 'EBUSY':
      return (
        `the kernel says the line is busy (${message}): a driver or device-tree overlay, or another ` +
        'program, holds it; free it or wire the device to another line'
      );
    case 'EACCES':
    case 'EPERM':
      return (
        `permission denied (${message}): the service user needs write access to ${SYSFS_GPIO_ROOT} ` +
        '(the gpio group on Raspberry Pi OS, or a udev rule)'
      );
    case 'EINVAL':
      return (
        `the kernel refused the line number (${message}): check the configured GPIO chip or base against ` +
        `${SYSFS_GPIO_ROOT}/gpiochip*/label and base`
      );
    default:
      return message;
  }
}
