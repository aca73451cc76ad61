// The gate and store commands, for the cloud and the technician alike: open a gate for someone,
// test a gate's lights and buzzer, close or open the store, declare an emergency, and reset one once
// the fire alarm is clear.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GateRefusal, type Gates } from '../machines/gates.js';
import type { StoreActor } from '../machines/store.js';
import { CommandError, type CommandHandler, defineCommand, noArgs } from './index.js';

export function registerGateCommands(commands: CommandHandler, gates: Gates, store: StoreActor): void {
  commands.register(
    'gate.unlock',
    defineCommand({
      summary:
        'Open a gate without a credential: an entry gate for `party` people (default 1) of a new trip, an exit gate for one person',
      args: z.strictObject({
        gateId: z.string().min(1).max(64),
        party: z.number().int().min(1).max(50).default(1),
      }),
      run: ({ gateId, party }) =>
        refusable(() =>
          gates.unlock(gateId, party, () => {
            const tripId = randomUUID();
            store.send({
              type: 'trip.start',
              trip: { tripId, gateId, credentialKind: 'command', partySize: party },
            });
            return tripId;
          }),
        ),
    }),
  );
  commands.register(
    'gate.test',
    defineCommand({
      summary:
        "Test a locked gate's lights and buzzer: green for a second, then red with the buzzer; it stays locked",
      args: z.strictObject({ gateId: z.string().min(1).max(64) }),
      run: ({ gateId }) => {
        refusable(() => gates.testSignals(gateId));
        return { message: `${gateId}: green, then red with the buzzer` };
      },
    }),
  );
  commands.register(
    'store.mode',
    defineCommand({
      summary: 'Open or close the store: closed refuses entry (exits stay free) and ends the open trips',
      args: z.strictObject({ mode: z.enum(['open', 'closed']) }),
      run: ({ mode }) => {
        store.send({ type: 'mode.set', mode });
        return { mode };
      },
    }),
  );
  commands.register(
    'emergency.start',
    defineCommand({
      summary: 'Open every gate now, as the fire alarm would; it stays so until emergency.reset',
      args: z.strictObject({ reason: z.string().min(1).max(200).optional() }),
      run: ({ reason }) => {
        store.send({ type: 'emergency.trigger', source: `command${reason ? `: ${reason}` : ''}` });
      },
    }),
  );
  commands.register(
    'emergency.reset',
    defineCommand({
      summary: 'End an emergency once every fire-alarm input is clear: the gates go back to normal',
      args: noArgs,
      run: () => {
        let outcome: { ok: boolean; message: string } | undefined;
        store.send({ type: 'emergency.reset', reply: (o) => (outcome = o) });
        if (!outcome?.ok) throw new CommandError('not_done', outcome?.message ?? 'the store did not answer');
        return { message: outcome.message };
      },
    }),
  );
}

/** A gate's refusal as the command's, with its code for the cloud. */
function refusable<T>(act: () => T): T {
  try {
    return act();
  } catch (err) {
    if (err instanceof GateRefusal) throw new CommandError(err.code, err.message);
    throw err;
  }
}
