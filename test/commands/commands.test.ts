import t from 'tap';
import { z } from 'zod';
import { CommandError, CommandHandler, defineCommand, noArgs } from '../../src/commands/index.js';
import type { EventData } from '../../src/events/catalogue.js';

function handler() {
  const audit: EventData<'audit.command'>[] = [];
  const commands = new CommandHandler((entry) => audit.push(entry));
  commands.register(
    'gate.unlock',
    defineCommand({
      summary: 'Unlocks a gate',
      args: z.strictObject({ gateId: z.string() }),
      run: ({ gateId }) => {
        if (gateId === 'jammed') throw new CommandError('gate_fault', 'the lock did not move');
        if (gateId === 'broken') throw new Error('relay driver crashed');
        return { gateId, unlocked: true };
      },
    }),
  );
  commands.register('hub.ping', defineCommand({ summary: 'Answers', args: noArgs, run: () => undefined }));
  return { commands, audit };
}

t.test('a command is carried out, answered and audited', async (t) => {
  const { commands, audit } = handler();
  t.same(await commands.handle('cloud', 'gate.unlock', { gateId: 'gate-in' }), {
    ok: true,
    result: { gateId: 'gate-in', unlocked: true },
  });
  t.same(await commands.handle('technician', 'hub.ping', {}), { ok: true });
  t.same(audit, [
    { source: 'cloud', name: 'gate.unlock', args: { gateId: 'gate-in' }, ok: true },
    { source: 'technician', name: 'hub.ping', args: {}, ok: true },
  ]);
  t.same(commands.names, ['gate.unlock', 'hub.ping']);
});

t.test('unknown commands, bad arguments and failures are refused with a code, and audited too', async (t) => {
  const { commands, audit } = handler();
  t.same(await commands.handle('cloud', 'gate.explode', {}), {
    ok: false,
    error: { code: 'unknown_command', message: 'no command "gate.explode"' },
  });
  t.match(await commands.handle('cloud', 'gate.unlock', { gateId: 7 }), {
    ok: false,
    error: { code: 'bad_args', message: /^gateId: / },
  });
  t.match(await commands.handle('cloud', 'hub.ping', { extra: true }), {
    ok: false,
    error: { code: 'bad_args' },
  });
  t.same(await commands.handle('cloud', 'gate.unlock', { gateId: 'jammed' }), {
    ok: false,
    error: { code: 'gate_fault', message: 'the lock did not move' },
  });
  t.same(await commands.handle('local', 'gate.unlock', { gateId: 'broken' }), {
    ok: false,
    error: { code: 'internal', message: 'relay driver crashed' },
  });
  t.equal(audit.length, 5, 'every refusal is audited');
  t.ok(
    audit.every((a) => !a.ok && a.error),
    'each audit entry carries the refusal',
  );
});
