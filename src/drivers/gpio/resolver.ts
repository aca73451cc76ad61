// From a pinout's line number to the number sysfs GPIO wants. A pinout names a line by its offset on
// its chip ("GPIO17"); sysfs numbers every line globally from its chip's base, and that base moved:
// Raspberry Pi kernels 6.6+ put the header chip at 512 (the Pi 5's pinctrl-rp1 at 571), older ones at 0.
// Reading the base from the kernel keeps one configuration valid across kernel upgrades.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the kernel publishes sysfs GPIO (and where onoff always looks). */
export const SYSFS_GPIO_ROOT = '/sys/class/gpio';

/** One GPIO controller as sysfs describes it. */
export interface GpioChipInfo {
  readonly base: number;
  readonly label: string;
  readonly ngpio: number;
}

/** The chip a gate's lines are on, and how it was picked (worth a line in the log at start). */
export interface ResolvedGpioChip {
  readonly base: number;
  /** Undefined only when `base` was configured and no chip starts there. */
  readonly label: string | undefined;
  /** Undefined only when `base` was configured and no chip starts there: offsets are then unchecked. */
  readonly ngpio: number | undefined;
  /**
   * `chip`: the configured label; `base`: the configured base; `pinctrl`: the only chip labelled
   * pinctrl-*, the SoC's own header pins; `lowest-base`: the first chip, when there is no single pinctrl-*.
   */
  readonly chosenBy: 'chip' | 'base' | 'pinctrl' | 'lowest-base';
}

export interface GpioResolverOptions {
  /** The sysfs GPIO directory; tests point it at a directory laid out the same way. */
  root?: string;
  /** Label of the chip the lines are on, e.g. "pinctrl-bcm2711" (the `label` file of /sys/class/gpio/gpiochipN). */
  chip?: string;
  /** sysfs number of the chip's line 0, for a kernel whose chips the rule cannot tell apart. */
  base?: number;
}

/** Lists the GPIO chips under `root`, lowest base first; throws what to fix when there is no sysfs GPIO. */
export async function listGpioChips(root: string = SYSFS_GPIO_ROOT): Promise<GpioChipInfo[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new Error(
        `there is no ${root}: this kernel has no sysfs GPIO (CONFIG_GPIO_SYSFS); ` +
          'run a kernel built with it (Raspberry Pi OS kernels are) or use the simulated gate driver',
      );
    throw new Error(`cannot read ${root}: ${(err as Error).message}`);
  }
  const chips = await Promise.all(
    names.filter((name) => /^gpiochip\d+$/.test(name)).map((name) => readChip(join(root, name))),
  );
  return chips.sort((a, b) => a.base - b.base);
}

/** Picks the chip a gate's lines are on (see ResolvedGpioChip.chosenBy for the rule); throws what to fix. */
export async function resolveGpioBase(options: GpioResolverOptions = {}): Promise<ResolvedGpioChip> {
  const root = options.root ?? SYSFS_GPIO_ROOT;
  const { chip, base } = options;
  if (base !== undefined && !(Number.isInteger(base) && base >= 0))
    throw new Error(`GPIO base ${base} is not a sysfs GPIO number (a whole number, 0 or more)`);
  const chips = await listGpioChips(root);
  if (chip !== undefined) return byLabel(chips, chip, base, root);
  if (base !== undefined) {
    const found = chips.find((c) => c.base === base);
    return { base, label: found?.label, ngpio: found?.ngpio, chosenBy: 'base' };
  }
  if (chips.length === 0)
    throw new Error(
      `${root} lists no GPIO chips: the kernel registered no GPIO controller; ` +
        "check that the board's device tree (or GPIO driver module) is loaded",
    );
  const pinctrl = chips.filter((c) => c.label.startsWith('pinctrl-'));
  if (pinctrl.length === 1) return { ...(pinctrl[0] as GpioChipInfo), chosenBy: 'pinctrl' };
  return { ...(chips[0] as GpioChipInfo), chosenBy: 'lowest-base' };
}

/** The sysfs number of the line at `offset` on `chip`; throws when the chip has no such line. */
export function sysfsGpioNumber(chip: ResolvedGpioChip, offset: number): number {
  if (!(Number.isInteger(offset) && offset >= 0))
    throw new Error(
      `${offset} is not a line number: expected a whole number, 0 or more (the pinout's GPIOnn)`,
    );
  if (chip.ngpio !== undefined && offset >= chip.ngpio)
    throw new Error(
      `line ${offset} does not exist on ${describeGpioChip(chip)}, whose lines are 0-${chip.ngpio - 1}: ` +
        "check the number against the board's pinout, or configure the chip the line is on",
    );
  return chip.base + offset;
}

/** The chip in a technician's words, e.g. `pinctrl-bcm2711 (base 512, 58 lines)`. */
export function describeGpioChip(chip: ResolvedGpioChip | GpioChipInfo): string {
  if (chip.label === undefined) return `the GPIO chip at base ${chip.base}`;
  return `${chip.label} (base ${chip.base}, ${chip.ngpio} lines)`;
}

function byLabel(
  chips: GpioChipInfo[],
  label: string,
  base: number | undefined,
  root: string,
): ResolvedGpioChip {
  const labelled = chips.filter((c) => c.label === label);
  if (labelled.length === 0) {
    const found = chips.length > 0 ? chips.map(describeGpioChip).join(', ') : 'none';
    throw new Error(`no GPIO chip labelled "${label}" under ${root}; the chips there are: ${found}`);
  }
  if (base !== undefined) {
    const found = labelled.find((c) => c.base === base);
    if (!found)
      throw new Error(
        `GPIO chip "${label}" is at base ${labelled.map((c) => c.base).join(' and ')}, not ${base}: ` +
          'remove the configured base (the label is enough) or correct it',
      );
    return { ...found, chosenBy: 'chip' };
  }
  if (labelled.length > 1)
    throw new Error(
      `${labelled.length} GPIO chips are labelled "${label}" (bases ${labelled.map((c) => c.base).join(', ')}): ` +
        'also configure the base of the one the lines are on',
    );
  return { ...(labelled[0] as GpioChipInfo), chosenBy: 'chip' };
}

async function readChip(dir: string): Promise<GpioChipInfo> {
  const read = async (file: string) => {
    try {
      return (await readFile(join(dir, file), 'utf8')).trim();
    } catch (err) {
      throw new Error(`cannot read ${join(dir, file)}: ${(err as Error).message}`);
    }
  };
  const number = async (file: string) => {
    const text = await read(file);
    if (!/^\d+$/.test(text)) throw new Error(`${join(dir, file)} holds "${text}", not a number`);
    return Number(text);
  };
  const [base, label, ngpio] = await Promise.all([number('base'), read('label'), number('ngpio')]);
  return { base, label, ngpio };
}
