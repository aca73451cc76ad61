// Shelves and what they stand on: the serial buses and boards their plates are wired to, the products
// they hold and where. Part of the one configuration schema (schema.ts).
import { z } from 'zod';
import { id } from './id.js';

const plateIndex = z.number().int().min(0).max(63);

const wiring = z.strictObject({
  board: id.describe('A board of devices.buses[].boards'),
  channels: z
    .array(z.number().int().min(0).max(63))
    .min(1)
    .describe("The board's channels that are this shelf's next plates, in plate order"),
});

const planogramEntry = z.strictObject({
  sku: z.string().min(1).max(64).describe('A product of catalogue.products'),
  plates: z.array(plateIndex).min(1).describe('Plates (0 = first) the product rests on'),
});

const sensing = z
  .strictObject({
    minChangeGrams: z
      .number()
      .min(0.1)
      .max(10_000)
      .optional()
      .describe(
        'Smallest lasting change (default 10 g) that can be an event; smaller ones are drift or crumbs',
      ),
    capacityGrams: z
      .number()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('Rated load of one plate; readings at or beyond it are a saturation fault'),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Below this (default 0.7) an item guess becomes shelf.anomaly: a wrong charge is worse than none',
      ),
  })
  .describe('Tuning of the change detection and item inference; the defaults suit most shelves');

const shelfKeys = z.strictObject({
  id,
  driver: z.enum(['sim', 'serial']).describe('"serial": plates wired to boards of devices.buses'),
  plates: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe('Plates of a simulated shelf (default 4); a serial shelf has one per wired channel'),
  sampleRateHz: z
    .number()
    .min(10)
    .max(200)
    .optional()
    .describe('Sample rate of a simulated shelf (default 40; change detection needs 10 at least)'),
  wiring: z
    .array(wiring)
    .optional()
    .describe('Serial shelves: which board channels are its plates, plate 0 first'),
  cameras: z.array(id).default([]).describe('Cameras that cover this shelf'),
  planogram: z.array(planogramEntry).default([]).describe('Which products sit on which plates'),
  sensing: sensing.optional(),
});

export const shelf = shelfKeys
  .superRefine((s, ctx) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    if (s.driver === 'sim' && s.wiring) issue('wiring', 'only for driver "serial"');
    if (s.driver !== 'serial') return;
    if (!s.wiring?.length) issue('wiring', 'required for driver "serial"');
    if (s.plates !== undefined)
      issue('plates', 'a serial shelf has one plate per wired channel; remove this key');
    if (s.sampleRateHz !== undefined)
      issue('sampleRateHz', "a serial shelf takes its boards' rate; remove this key");
  })
  .transform((s) => ({ ...s, plates: platesOf(s), sampleRateHz: s.sampleRateHz ?? 40 }));

const board = z.strictObject({
  id,
  address: z.number().int().min(1).max(247).optional().describe('Modbus slave address (Modbus buses only)'),
  profile: z.string().min(1).optional().describe("This board's model when it differs from the bus's"),
  sampleRateHz: z
    .number()
    .min(1)
    .max(200)
    .optional()
    .describe("Lines per second of an ascii-stream board (default: the profile's)"),
});

export const bus = z.strictObject({
  id,
  port: z.string().min(1).describe('Serial device; prefer a stable /dev/serial/by-id/ path to /dev/ttyUSB0'),
  profile: z
    .string()
    .min(1)
    .describe('Board model: the name of a file in devices/ (e.g. modbus-4ch-int32) or a path to one'),
  baudRate: z.number().int().min(300).max(4_000_000).optional().describe("Default: the profile's"),
  parity: z.enum(['none', 'even', 'odd']).optional().describe("Default: the profile's"),
  boards: z.array(board).min(1).describe('Boards on this port: one for ascii-stream and MT-SICS'),
});

export const product = z.strictObject({
  sku: z.string().min(1).max(64),
  name: z.string().max(200).optional(),
  grams: z.number().positive().max(1_000_000).describe('Mean unit weight'),
  spreadGrams: z
    .number()
    .positive()
    .max(100_000)
    .optional()
    .describe('Standard deviation of the unit weight (default: max(2 g, 3 % of grams))'),
});

type Parsed = {
  devices: { shelves: z.output<typeof shelf>[]; buses: z.output<typeof bus>[] };
};

/** Plates of a shelf: a simulated shelf's `plates` (default 4), or one per wired channel. */
function platesOf(s: z.output<typeof shelfKeys>): number {
  if (s.driver === 'serial') return (s.wiring ?? []).reduce((n, w) => n + w.channels.length, 0);
  return s.plates ?? 4;
}

/** The checks across keys that the shapes alone cannot make. */
export function checkShelves(c: Parsed, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['devices', ...path], message });
  const boards = new Set(c.devices.buses.flatMap((b) => b.boards.map((board) => board.id)));
  const used = new Map<string, string>();
  c.devices.shelves.forEach((s, i) => {
    s.wiring?.forEach((w, j) => {
      if (!boards.has(w.board))
        issue(['shelves', i, 'wiring', j, 'board'], `no board "${w.board}" in devices.buses`);
      w.channels.forEach((ch, k) => {
        const key = `${w.board}:${ch}`;
        const other = used.get(key);
        if (other)
          issue(
            ['shelves', i, 'wiring', j, 'channels', k],
            `channel ${ch} of ${w.board} is already ${other}`,
          );
        else used.set(key, `a plate of ${s.id}`);
      });
    });
    const plates = platesOf(s);
    s.planogram.forEach((p, j) => {
      p.plates.forEach((plate, k) => {
        if (plate >= plates)
          issue(['shelves', i, 'planogram', j, 'plates', k], `${s.id} has plates 0-${plates - 1}`);
      });
    });
  });
  c.devices.buses.forEach((b, i) => {
    const addresses = new Set<number>();
    b.boards.forEach((board, j) => {
      if (board.address === undefined) return;
      if (addresses.has(board.address))
        issue(['buses', i, 'boards', j, 'address'], `address ${board.address} is used twice on ${b.id}`);
      addresses.add(board.address);
    });
  });
}
