// The scanner command, for the technician and the cloud alike: a test mode that shows one scanner's
// codes decoded on the diagnostics page, and keeps them from its gate, for a few minutes.
import { z } from 'zod';
import { MAX_TEST_MINUTES, type ScanWatch } from '../machines/scan-watch.js';
import { CommandError, type CommandHandler, defineCommand } from './index.js';

export function registerScannerCommands(commands: CommandHandler, scans: ScanWatch): void {
  commands.register(
    'scanner.test',
    defineCommand({
      summary: `Show a scanner's codes decoded on the diagnostics page for \`minutes\` (default 2, at most ${MAX_TEST_MINUTES}; 0 ends it); meanwhile its gate ignores it`,
      args: z.strictObject({
        scannerId: z.string().min(1).max(64),
        minutes: z.number().min(0).max(MAX_TEST_MINUTES).default(2),
      }),
      run: ({ scannerId, minutes }) => {
        try {
          const view = scans.test(scannerId, minutes);
          return view.testingUntil === undefined
            ? { message: `${scannerId} is back at its gate` }
            : {
                message: `${scannerId} under test until ${new Date(view.testingUntil).toISOString()}: its gate ignores it`,
                testingUntil: view.testingUntil,
              };
        } catch (err) {
          throw new CommandError('unknown_scanner', (err as Error).message);
        }
      },
    }),
  );
}
