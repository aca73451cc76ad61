// The diagnostics server on its own for a test: an ephemeral port, a fake clock, accounts with known
// passwords, nothing to scrape, commands that do nothing; a test overrides what it needs.

import { HubMetrics } from '../../src/diagnostics/metrics.js';
import { type DiagnosticsOptions, DiagnosticsServer } from '../../src/diagnostics/server.js';
import { FakeClock } from '../../src/system/clock.js';
import { silentLogger } from '../../src/system/log.js';
import { hashPassword } from '../../src/system/passwords.js';
import { testLive } from './live-sources.js';
import type { TestContext } from './tap-types.js';

export const passwords: Record<string, string> = { anna: 'correct horse battery', viktor: 'looking only' };

export const testAccounts = [
  { name: 'anna', role: 'technician' as const, passwordHash: await hashPassword(passwords.anna as string) },
  { name: 'viktor', role: 'viewer' as const, passwordHash: await hashPassword(passwords.viktor as string) },
];

/** Starts a server, stopped when the test ends; `clock` is the one it was given (a FakeClock by default). */
export async function startDiagnostics(
  t: TestContext,
  overrides: Partial<DiagnosticsOptions> = {},
): Promise<{ server: DiagnosticsServer; base: string; clock: FakeClock }> {
  const clock = (overrides.clock as FakeClock | undefined) ?? new FakeClock();
  const server = new DiagnosticsServer({
    listen: '127.0.0.1:0',
    metrics: new HubMetrics(() => {
      throw new Error('not in this test');
    }),
    accounts: testAccounts,
    sessionMinutes: 60,
    live: testLive(),
    command: async () => ({ ok: true }),
    log: silentLogger(),
    ...overrides,
    clock,
  });
  await server.start();
  t.teardown(() => server.stop());
  return { server, base: `http://${server.address}`, clock };
}
