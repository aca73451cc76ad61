// A pair of pseudo-terminals joined by socat: the hub opens one end as its serial port, the test plays
// the device on the other. Link paths stay the same across stop/restart, like a by-id path across a
// re-plug.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from './tap-types.js';

export interface PtyPair {
  /** The end the hub opens (what a configuration would name). */
  readonly hubPath: string;
  /** The end the test writes to and reads from, as the device. */
  readonly devicePath: string;
  /** Kills socat: both ends vanish, as when the adapter is unplugged. */
  stop(): Promise<void>;
  /** Brings a new pair back at the same paths, as when the adapter is plugged in again. */
  restart(): Promise<void>;
}

const SOCAT = '/usr/bin/socat';
const READY_TIMEOUT_MS = 10_000;

// Killed on process exit too, in case a test dies before its teardown runs.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a pty pair for this test; it is stopped and its temp dir removed when the test ends. */
export async function startPtyPair(t: TestContext): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'store-gateway-pty-'));
  const hubPath = join(dir, 'hub');
  const devicePath = join(dir, 'device');
  let child: ChildProcess | undefined;

  const start = async () => {
    const socat = spawn(
      SOCAT,
      ['-d', '-d', `pty,raw,echo=0,link=${hubPath}`, `pty,raw,echo=0,link=${devicePath}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = socat;
    running.add(socat);
    let stderr = '';
    socat.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    socat.once('exit', () => running.delete(socat));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    // socat logs this once both ptys and their links exist.
    while (
      !(stderr.includes('starting data transfer loop') && existsSync(hubPath) && existsSync(devicePath))
    ) {
      if (socat.exitCode !== null) throw new Error(`socat exited early: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`socat did not create ${hubPath} in time: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const stop = async () => {
    const socat = child;
    child = undefined;
    if (socat && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((resolve) => socat.once('exit', resolve));
      socat.kill('SIGTERM');
      await exited;
    }
    // socat removes its links on a clean exit; make sure, so restart can create them again.
    await rm(hubPath, { force: true });
    await rm(devicePath, { force: true });
  };

  await start();
  t.teardown(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    hubPath,
    devicePath,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** Waits until `condition` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
