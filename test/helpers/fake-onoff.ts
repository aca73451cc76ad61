// A fake onoff for tests: GPIO hardware cannot exist on a build machine. The fake keeps what the kernel
// would: the wire level (active_low applied on value reads and writes, not on the "high"/"low"
// direction), every level the wire took, and whether the line is still exported.
import type { Direction, Edge, Options } from 'onoff';
import type { OnoffGpio, OnoffModule, OnoffWatcher } from '../../src/drivers/gpio/onoff.js';
import type { Level } from '../../src/drivers/gpio/port.js';

const flip = (level: Level): Level => (level === 1 ? 0 : 1);

export class FakeGpio implements OnoffGpio {
  readonly number: number;
  readonly direction: Direction;
  readonly edge: Edge | undefined;
  readonly options: Options;
  /** Every level the wire took, from the moment of export. */
  readonly wires: Level[] = [];
  watchers: OnoffWatcher[] = [];
  exported = true;
  failWrites: Error | undefined;
  failUnexport: Error | undefined;

  constructor(number: number, direction: Direction, edge: Edge | undefined, options: Options, wire: Level) {
    this.number = number;
    this.direction = direction;
    this.edge = edge;
    this.options = options;
    // The kernel sets "high"/"low" raw; "out" means low.
    this.wires.push(direction === 'in' ? wire : direction === 'high' ? 1 : 0);
  }

  get wire(): Level {
    return this.wires.at(-1) as Level;
  }

  readSync(): Level {
    return this.options.activeLow ? flip(this.wire) : this.wire;
  }

  writeSync(value: Level): void {
    if (this.failWrites) throw this.failWrites;
    if (this.direction === 'in')
      throw Object.assign(new Error('EPERM: operation not permitted, write'), { code: 'EPERM' });
    this.wires.push(this.options.activeLow ? flip(value) : value);
  }

  watch(callback: OnoffWatcher): void {
    this.watchers.push(callback);
  }

  unwatch(callback?: OnoffWatcher): void {
    this.watchers = this.watchers.filter((w) => callback !== undefined && w !== callback);
  }

  unexport(): void {
    this.watchers = [];
    this.exported = false;
    if (this.failUnexport) throw this.failUnexport;
  }

  /** Someone outside drives an input's wire; onoff's poller then reports the (logical) value. */
  drive(wire: Level, err: Error | null = null): void {
    this.wires.push(wire);
    for (const watcher of [...this.watchers]) watcher(err, this.readSync());
  }
}

/** A fake board: an onoff module whose Gpio objects are kept by sysfs number for the test to inspect. */
export function fakeBoard(wires: Record<number, Level> = {}) {
  const gpios = new Map<number, FakeGpio>();
  const board = {
    accessible: true,
    exportError: undefined as Error | undefined,
    gpios,
    gpio(number: number): FakeGpio {
      const gpio = gpios.get(number);
      if (!gpio) throw new Error(`sysfs gpio${number} was never exported`);
      return gpio;
    },
    module: {
      Gpio: class {
        static get accessible() {
          return board.accessible;
        }
        constructor(number: number, direction: Direction, edge?: Edge, options: Options = {}) {
          if (board.exportError) throw board.exportError;
          const gpio = new FakeGpio(number, direction, edge, options, wires[number] ?? 0);
          gpios.set(number, gpio);
          // biome-ignore lint/correctness/noConstructorReturn: the fake hands out the object the test inspects
          return gpio;
        }
      },
    } as unknown as OnoffModule,
  };
  return board;
}

/** /sys/class/gpio as a Raspberry Pi 4 on kernel 6.6 lays it out: the header chip at base 512. */
export const pi4Sysfs = {
  gpiochip512: { base: '512\n', label: 'pinctrl-bcm2711\n', ngpio: '58\n' },
  gpiochip570: { base: '570\n', label: 'raspberrypi-exp-gpio\n', ngpio: '8\n' },
  export: '',
  unexport: '',
};
