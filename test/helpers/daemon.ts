// Runs the real daemon (src/main.ts under the same TypeScript loader as the tests) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const main = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

/** A store with fast simulated faults, so device.status events flow several times a second. */
export function writeBusyStore(dir: string, upstreamUrl: string, extra = ''): string {
  writeFileSync(join(dir, 'token'), 'e2e-token\n');
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `hub: { id: hub-e2e, storeId: store-e2e }
dataDir: hub-data
upstream:
  url: ${upstreamUrl}
  tokenFile: token
  reconnectMinMs: 50
  reconnectMaxMs: 400
  pingIntervalMs: 1000
${extra}
log: { level: warn }
devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-swing }]
  scanners: [{ id: s1, kind: qr, gateId: g1, driver: sim }, { id: s2, kind: palm, gateId: g1, driver: sim }]
  shelves: [{ id: sh1, driver: sim, plates: 2, sampleRateHz: 10 }, { id: sh2, driver: sim, plates: 2, sampleRateHz: 10 }]
  cameras: [{ id: c1, driver: sim }, { id: c2, driver: sim }]
sim: { seed: 3, faultEverySeconds: 0.05, faultDurationSeconds: 0.1 }
`,
  );
  return file;
}

export interface Daemon {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [...process.execArgv, main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  // A test that fails before stopping its daemon must not leave it running after the test file ends.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.on('exit', () => process.off('exit', orphanGuard));
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

export async function until(what: () => boolean, ms = 20_000, why = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`${why} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
