import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  describeGpioChip,
  listGpioChips,
  resolveGpioBase,
  sysfsGpioNumber,
} from '../../src/drivers/gpio/resolver.js';
import type { TestContext } from '../helpers/tap-types.js';

type Chip = { base: number; label: string; ngpio: number };

// A directory laid out like /sys/class/gpio: one gpiochipN folder per chip, files ending in a newline.
function sysfs(t: TestContext, chips: Chip[]): string {
  const layout: Record<string, unknown> = { export: '', unexport: '' };
  for (const { base, label, ngpio } of chips)
    layout[`gpiochip${base}`] = { base: `${base}\n`, label: `${label}\n`, ngpio: `${ngpio}\n` };
  return t.testdir(layout as Parameters<TestContext['testdir']>[0]);
}

const pi4Kernel66: Chip[] = [
  { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
  { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
];
const pi5: Chip[] = [
  { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
  { base: 544, label: 'gpio-brcmstb@107d508500', ngpio: 4 },
  { base: 548, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
  { base: 565, label: 'gpio-brcmstb@107d517c00', ngpio: 6 },
  { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
];
const pi3OldKernel: Chip[] = [
  { base: 0, label: 'pinctrl-bcm2835', ngpio: 54 },
  { base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 },
];

t.test('on a Pi 4 with kernel 6.6 the header chip is found at base 512: GPIO17 is sysfs 529', async (t) => {
  const root = sysfs(t, pi4Kernel66);
  const chip = await resolveGpioBase({ root });
  t.same(chip, { base: 512, label: 'pinctrl-bcm2711', ngpio: 58, chosenBy: 'pinctrl' });
  t.equal(sysfsGpioNumber(chip, 17), 529);
  t.equal(sysfsGpioNumber(chip, 0), 512);
  t.equal(sysfsGpioNumber(chip, 57), 569, 'the last of 58 lines');
});

t.test('on a Pi 5 the RP1 chip at 571 is chosen, not the lower brcmstb chips', async (t) => {
  const root = sysfs(t, pi5);
  const chip = await resolveGpioBase({ root });
  t.equal(chip.label, 'pinctrl-rp1');
  t.equal(chip.chosenBy, 'pinctrl');
  t.equal(sysfsGpioNumber(chip, 17), 588);
});

t.test('on an older kernel the header chip is at base 0: GPIO17 is sysfs 17', async (t) => {
  const root = sysfs(t, pi3OldKernel);
  const chip = await resolveGpioBase({ root });
  t.same(chip, { base: 0, label: 'pinctrl-bcm2835', ngpio: 54, chosenBy: 'pinctrl' });
  t.equal(sysfsGpioNumber(chip, 17), 17);
});

t.test('chips are read through the symlinks sysfs really uses', async (t) => {
  const root = t.testdir({
    devices: { gpiochip512: { base: '512\n', label: 'pinctrl-bcm2711\n', ngpio: '58\n' } },
    class: { export: '' },
  });
  symlinkSync(join(root, 'devices', 'gpiochip512'), join(root, 'class', 'gpiochip512'));
  t.same(await listGpioChips(join(root, 'class')), [{ base: 512, label: 'pinctrl-bcm2711', ngpio: 58 }]);
});

t.test('without a single pinctrl- chip the lowest base is chosen, and says so', async (t) => {
  const none = sysfs(t, [
    { base: 600, label: 'gpio-expander', ngpio: 16 },
    { base: 400, label: 'INT34C5:00', ngpio: 64 },
  ]);
  const chip = await resolveGpioBase({ root: none });
  t.same(chip, { base: 400, label: 'INT34C5:00', ngpio: 64, chosenBy: 'lowest-base' });

  const both = sysfs(t, [
    { base: 520, label: 'pinctrl-mcp23s08', ngpio: 16 },
    { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
  ]);
  const lowest = await resolveGpioBase({ root: both });
  t.equal(lowest.label, 'pinctrl-bcm2711', 'two pinctrl- chips: the lowest base wins');
  t.equal(lowest.chosenBy, 'lowest-base');
});

t.test('a configured label picks that chip', async (t) => {
  const root = sysfs(t, pi4Kernel66);
  const chip = await resolveGpioBase({ root, chip: 'raspberrypi-exp-gpio' });
  t.same(chip, { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8, chosenBy: 'chip' });
  t.throws(() => sysfsGpioNumber(chip, 8), /line 8 does not exist on raspberrypi-exp-gpio .*lines are 0-7/);
});

t.test('an unknown label is refused and the labels found are listed', async (t) => {
  const root = sysfs(t, pi4Kernel66);
  await t.rejects(
    resolveGpioBase({ root, chip: 'pinctrl-rp1' }),
    /no GPIO chip labelled "pinctrl-rp1" .*pinctrl-bcm2711 \(base 512, 58 lines\), raspberrypi-exp-gpio \(base 570, 8 lines\)/,
  );
  const empty = t.testdir({ export: '' });
  await t.rejects(resolveGpioBase({ root: empty, chip: 'pinctrl-rp1' }), /the chips there are: none/);
});

t.test('a label shared by two chips needs the base to tell them apart', async (t) => {
  const root = sysfs(t, pi5);
  await t.rejects(
    resolveGpioBase({ root, chip: 'gpio-brcmstb@107d508500' }),
    /2 GPIO chips are labelled "gpio-brcmstb@107d508500" \(bases 512, 544\): also configure the base/,
  );
  const chip = await resolveGpioBase({ root, chip: 'gpio-brcmstb@107d508500', base: 544 });
  t.same(chip, { base: 544, label: 'gpio-brcmstb@107d508500', ngpio: 4, chosenBy: 'chip' });
});

t.test('a label and a base that disagree are refused', async (t) => {
  const root = sysfs(t, pi4Kernel66);
  await t.rejects(
    resolveGpioBase({ root, chip: 'pinctrl-bcm2711', base: 0 }),
    /"pinctrl-bcm2711" is at base 512, not 0: remove the configured base/,
  );
});

t.test('a configured base is used as is, and checked when a chip starts there', async (t) => {
  const root = sysfs(t, pi4Kernel66);
  const known = await resolveGpioBase({ root, base: 512 });
  t.same(known, { base: 512, label: 'pinctrl-bcm2711', ngpio: 58, chosenBy: 'base' });
  t.throws(() => sysfsGpioNumber(known, 58), /line 58 does not exist on pinctrl-bcm2711/);

  const unknown = await resolveGpioBase({ root, base: 0 });
  t.same(unknown, { base: 0, label: undefined, ngpio: undefined, chosenBy: 'base' });
  t.equal(sysfsGpioNumber(unknown, 200), 200, 'no chip there: the number of lines cannot be checked');
  t.equal(describeGpioChip(unknown), 'the GPIO chip at base 0');

  const empty = t.testdir({ export: '' });
  t.equal((await resolveGpioBase({ root: empty, base: 512 })).base, 512);
  await t.rejects(resolveGpioBase({ root, base: -1 }), /GPIO base -1 is not a sysfs GPIO number/);
  await t.rejects(resolveGpioBase({ root, base: 1.5 }), /GPIO base 1.5 is not/);
});

t.test('a line beyond the chip, or not a line number at all, is refused', async (t) => {
  const chip = await resolveGpioBase({ root: sysfs(t, pi4Kernel66) });
  t.throws(
    () => sysfsGpioNumber(chip, 58),
    /line 58 does not exist on pinctrl-bcm2711 \(base 512, 58 lines\), whose lines are 0-57: check the number against the board's pinout/,
  );
  t.throws(() => sysfsGpioNumber(chip, -1), /-1 is not a line number/);
  t.throws(() => sysfsGpioNumber(chip, 2.5), /2.5 is not a line number/);
});

t.test('a kernel without sysfs GPIO is named as such', async (t) => {
  const root = join(t.testdir(), 'gpio');
  await t.rejects(
    resolveGpioBase({ root }),
    /there is no .*gpio: this kernel has no sysfs GPIO \(CONFIG_GPIO_SYSFS\)/,
  );
  await t.rejects(resolveGpioBase({ root, base: 512 }), /CONFIG_GPIO_SYSFS/, 'also with a configured base');
  const file = t.testdir({ gpio: 'not a directory' });
  await t.rejects(listGpioChips(join(file, 'gpio')), /CONFIG_GPIO_SYSFS/);
});

t.test('a sysfs GPIO without chips says the kernel found no controller', async (t) => {
  const root = t.testdir({ export: '', unexport: '', 'not-a-chip': { base: '0\n' } });
  await t.rejects(resolveGpioBase({ root }), /lists no GPIO chips: the kernel registered no GPIO controller/);
});

t.test('an unreadable or malformed chip description names the file', async (t) => {
  const partial = t.testdir({ gpiochip0: { base: '0\n', ngpio: '54\n' } });
  await t.rejects(listGpioChips(partial), /cannot read .*gpiochip0\/label/);
  const garbled = t.testdir({ gpiochip0: { base: 'zero\n', label: 'x\n', ngpio: '54\n' } });
  await t.rejects(listGpioChips(garbled), /gpiochip0\/base holds "zero", not a number/);
});

t.test('a root that cannot be listed says why', async (t) => {
  // A symlink loop fails for root too, unlike a permission bit.
  const dir = join(t.testdir(), 'gpio');
  symlinkSync(dir, dir);
  await t.rejects(listGpioChips(dir), /cannot read .*gpio: ELOOP/);
});

t.test("without options the kernel's own /sys/class/gpio is read", async (t) => {
  if (existsSync('/sys/class/gpio'))
    t.ok((await resolveGpioBase()).ngpio, 'a GPIO machine: its chip is found');
  else await t.rejects(resolveGpioBase(), /there is no \/sys\/class\/gpio: this kernel has no sysfs GPIO/);
});
