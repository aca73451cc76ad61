// The scanner.test command, as a technician or the cloud sends it: a scanner's test mode turned on
// for a few minutes or ended, refusals with a code, and an audit entry for each.
import t from 'tap';
import { CommandHandler } from '../../src/commands/index.js';
import { registerScannerCommands } from '../../src/commands/scanners.js';
import type { EventData } from '../../src/events/catalogue.js';
import { ScanWatch } from '../../src/machines/scan-watch.js';
import { FakeClock } from '../../src/system/clock.js';

function hub() {
  const clock = new FakeClock();
  const scans = new ScanWatch(clock, [{ id: 'scan-in', kind: 'qr' }]);
  const audit: EventData<'audit.command'>[] = [];
  const commands = new CommandHandler((entry) => audit.push(entry));
  registerScannerCommands(commands, scans);
  const testingUntil = () => scans.report()[0]?.testingUntil;
  return { clock, scans, audit, commands, testingUntil };
}

t.test('scanner.test puts a scanner under test for two minutes unless told otherwise', async (t) => {
  const h = hub();
  const until = h.clock.now() + 2 * 60_000;
  const answer = await h.commands.handle('technician', 'scanner.test', { scannerId: 'scan-in' }, 'anna');
  t.same(answer, {
    ok: true,
    result: {
      message: `scan-in under test until ${new Date(until).toISOString()}: its gate ignores it`,
      testingUntil: until,
    },
  });
  t.equal(h.testingUntil(), until);
  t.same(h.audit, [
    { source: 'technician', by: 'anna', name: 'scanner.test', args: { scannerId: 'scan-in' }, ok: true },
  ]);

  const longer = await h.commands.handle('cloud', 'scanner.test', { scannerId: 'scan-in', minutes: 15 });
  t.match(longer, { ok: true, result: { testingUntil: h.clock.now() + 15 * 60_000 } }, 'up to fifteen');
  t.equal(h.testingUntil(), h.clock.now() + 15 * 60_000);
  t.equal(h.audit.length, 2);
});

t.test('scanner.test with 0 minutes sends the scanner back to its gate', async (t) => {
  const h = hub();
  await h.commands.handle('technician', 'scanner.test', { scannerId: 'scan-in', minutes: 5 });
  const answer = await h.commands.handle('technician', 'scanner.test', { scannerId: 'scan-in', minutes: 0 });
  t.same(answer, { ok: true, result: { message: 'scan-in is back at its gate' } });
  t.equal(h.testingUntil(), undefined);
  t.equal(h.audit.length, 2);
  t.same(h.audit.at(-1), {
    source: 'technician',
    name: 'scanner.test',
    args: { scannerId: 'scan-in', minutes: 0 },
    ok: true,
  });
});

t.test('more than fifteen minutes is refused, and the scanner stays at its gate', async (t) => {
  const h = hub();
  const answer = await h.commands.handle('technician', 'scanner.test', { scannerId: 'scan-in', minutes: 16 });
  t.match(answer, { ok: false, error: { code: 'bad_args', message: /^minutes: / } });
  t.equal(h.testingUntil(), undefined);
  t.equal(h.audit.length, 1);
  t.match(h.audit[0], { name: 'scanner.test', ok: false, error: { code: 'bad_args' } });
});

t.test('a scanner the hub does not have is refused as unknown_scanner', async (t) => {
  const h = hub();
  const answer = await h.commands.handle('cloud', 'scanner.test', { scannerId: 'scan-nowhere' });
  t.same(answer, {
    ok: false,
    error: { code: 'unknown_scanner', message: 'no scanner "scan-nowhere" on this hub' },
  });
  t.same(h.audit, [
    {
      source: 'cloud',
      name: 'scanner.test',
      args: { scannerId: 'scan-nowhere' },
      ok: false,
      error: { code: 'unknown_scanner', message: 'no scanner "scan-nowhere" on this hub' },
    },
  ]);
});
