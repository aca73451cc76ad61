// Sysfs GPIO for a daemon run as a child process, in a directory laid out as a Raspberry Pi 4's
// /sys/class/gpio on kernel 6.6 (fake-onoff.ts's pi4Sysfs). The child gets sysfs-gpio/preload.mjs,
// which hands it a file-backed onoff there; the test reads the outputs' wires and drives the inputs'
// through the same files, the way a meter and a beam would. Lines keep their levels across the
// child's death, as the kernel keeps them.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Level } from '../../src/drivers/gpio/port.js';
import { pi4Sysfs } from './fake-onoff.js';

const preload = new URL('./sysfs-gpio/preload.mjs', import.meta.url).href;

/** The header chip's base: the pinout's GPIO17 is sysfs gpio529. */
export const PI4_BASE = 512;

/** Lays out `dir`/sysfs and returns how to reach it. */
export function fakeSysfsGpio(dir: string) {
  const root = join(dir, 'sysfs');
  for (const [name, entry] of Object.entries(pi4Sysfs)) {
    if (typeof entry === 'string') {
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, name), entry);
      continue;
    }
    mkdirSync(join(root, name), { recursive: true });
    for (const [file, text] of Object.entries(entry)) writeFileSync(join(root, name, file), text);
  }
  const line = (offset: number) => join(root, `gpio${PI4_BASE + offset}`);
  const read = (offset: number, file: string) => readFileSync(join(line(offset), file), 'utf8').trim();
  return {
    root,
    /** For startDaemon: the child's onoff and /sys/class/gpio are these files. */
    env: {
      STORE_GATEWAY_TEST_SYSFS_GPIO: root,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    },
    /** Whether the line at the pinout's `offset` is exported. */
    exported: (offset: number) => existsSync(line(offset)),
    /** The level on the wire of the line at `offset` (active_low undone), as a meter would read it. */
    wire: (offset: number): Level =>
      (Number(read(offset, 'value')) ^ Number(read(offset, 'active_low'))) as Level,
    /** Drives the wire of the input at `offset`, as the device on it would. */
    drive: (offset: number, wire: Level) => {
      if (read(offset, 'direction') !== 'in') throw new Error(`GPIO${offset} is not an input`);
      const value = join(line(offset), 'value');
      writeFileSync(`${value}.test`, `${wire ^ Number(read(offset, 'active_low'))}\n`);
      renameSync(`${value}.test`, value);
    },
  };
}
