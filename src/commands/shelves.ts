// The shelf commands, for the cloud and the technician alike: zero plates (on the hub, or with the
// boards' own zero command), calibrate a plate's span.
import { z } from 'zod';
import type { Shelves } from '../machines/shelves.js';
import { CommandError, type CommandHandler, defineCommand } from './index.js';

const shelfId = z.string().min(1).max(64);
const plate = z.number().int().min(0).max(63);

export function registerShelfCommands(commands: CommandHandler, shelves: Shelves): void {
  const stationOf = (id: string) => {
    const station = shelves.stations.get(id);
    if (!station) throw new CommandError('unknown_shelf', `no shelf "${id}" on this hub`);
    return station;
  };
  commands.register(
    'shelf.tare',
    defineCommand({
      summary: 'Zero plates of a shelf at their present load (all plates unless `plates` lists some)',
      args: z.strictObject({
        shelfId,
        plates: z
          .array(plate)
          .min(1)
          .max(64)
          .refine((list) => new Set(list).size === list.length, 'each plate once')
          .optional(),
      }),
      run: async ({ shelfId, plates }) => {
        const station = stationOf(shelfId);
        const all = Array.from({ length: station.wiring.plates }, (_, p) => p);
        const outcome = await station.calibrate({ kind: 'tare', plates: plates ?? all });
        if (!outcome.ok) throw new CommandError('not_done', outcome.message);
        return { message: outcome.message };
      },
    }),
  );
  commands.register(
    'shelf.zero',
    defineCommand({
      summary:
        "Send every board of a shelf its own zero command, where its profile has one (all of the board's channels)",
      args: z.strictObject({ shelfId }),
      run: async ({ shelfId }) => {
        stationOf(shelfId);
        try {
          return { message: await shelves.zeroBoards(shelfId) };
        } catch (err) {
          throw new CommandError('not_done', (err as Error).message);
        }
      },
    }),
  );
  commands.register(
    'shelf.calibrate',
    defineCommand({
      summary:
        'Learn a plate’s scale: send it with the plate empty and still, then place the known weight on it',
      args: z.strictObject({ shelfId, plate, grams: z.number().positive().max(100_000) }),
      run: async ({ shelfId, plate, grams }) => {
        const outcome = await stationOf(shelfId).calibrate({ kind: 'span', plate, grams });
        if (!outcome.ok) throw new CommandError('not_done', outcome.message);
        return { message: outcome.message };
      },
    }),
  );
}
