// `store-gateway safe-gates`: brings every real gate's outputs to the safe levels of its profile, then
// exits, leaving the lines driven. systemd runs it after the daemon has stopped for any reason
// (ExecStopPost), so a gate is safe while the hub is down even after a SIGKILL or an out-of-memory kill,
// which no handler inside the daemon can catch: sysfs GPIO keeps the last level a process wrote.
import { parseArgs } from 'node:util';
import { loadGatesOnly } from './config/gates.js';
import { type OnoffChipOptions, openOnoffChip } from './drivers/gpio/onoff.js';
import type { OutputLine } from './machines/gate.js';
import { safeLevelOf } from './machines/gate-lines.js';

const usage = `Usage: store-gateway safe-gates [--config FILE]

Writes the safe level of every output of every gate on real GPIO (driver "onoff"), as its profile
says (fail-safe: unlocked; fail-secure: locked; lights and buzzer off), and exits. FILE defaults to
$STORE_GATEWAY_CONFIG. Reads only the gates of FILE, so nothing else wrong with it keeps a gate from
its safe state, and needs no upstream token. Exit 0 when every gate is safe, 1 otherwise.`;

type Out = { out: (s: string) => void; err: (s: string) => void };

/** The hardware side of the command; tests give a fake onoff and a fake sysfs. */
export type ChipAccess = Pick<OnoffChipOptions, 'loadOnoff' | 'root'>;

/** A gate as safe-gates needs it: its configuration and its model, only the wired lines on real GPIO. */
export type GateToSecure = ReturnType<typeof loadGatesOnly>['gates'][number];

/** Brings each onoff gate to its safe state, each on its own; one line per gate; resolves true if all are safe. */
export async function safeGates(gates: GateToSecure[], io: Out, access: ChipAccess = {}): Promise<boolean> {
  let safe = true;
  for (const { config: gate, profile } of gates) {
    if (gate.driver !== 'onoff') {
      io.out(`${gate.id}: simulated; nothing to do`);
      continue;
    }
    try {
      const chip = await openOnoffChip({ lines: gate.lines ?? {}, gateId: gate.id, ...gate.gpio, ...access });
      const levels = (Object.keys(profile.outputs) as OutputLine[]).map((name) => {
        const level = safeLevelOf(profile, name);
        // Opening an output writes its safe level, glitch-free; the lines stay exported and driven.
        chip.open({ name, direction: 'out', activeLow: profile.outputs[name]?.activeLow, safeLevel: level });
        return `${name}=${level}`;
      });
      // Closing writes the safe levels once more and leaves the outputs exported, driven.
      chip.close();
      io.out(`${gate.id}: safe (${profile.failMode}): ${levels.join(' ')}`);
    } catch (err) {
      safe = false;
      io.err(`${gate.id}: NOT SAFE: ${(err as Error).message}`);
    }
  }
  return safe;
}

export async function runSafeGatesCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  io: Out,
  access: ChipAccess = {},
): Promise<number> {
  let values: { config?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    io.err(`store-gateway: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const file = values.config ?? env.STORE_GATEWAY_CONFIG;
  if (!file) {
    io.err(`store-gateway: safe-gates needs --config FILE or STORE_GATEWAY_CONFIG\n\n${usage}`);
    return 2;
  }
  const { gates, problems } = loadGatesOnly(file);
  for (const problem of problems) io.err(`${file}: NOT SAFE: ${problem}`);
  if (gates.length === 0 && problems.length === 0) io.out(`${file}: no gates configured; nothing to do`);
  const safe = await safeGates(gates, io, access);
  return safe && problems.length === 0 ? 0 : 1;
}
