// A real RTSP camera for tests: GStreamer's RTSP server (rtsp-server.py) serving the store clip from
// the shared datasets, on 127.0.0.1. Stopped and restarted on the same port, like a camera whose
// power is cut and comes back.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/system/package.js';
import type { TestContext } from './tap-types.js';

/** The store clip: MPEG-4 Part 2, 640x360, 10 fps, 33.8 s. Read where it lies, never copied in. */
export const STORE_CLIP = join(
  packageRoot,
  '..',
  'shared',
  'datasets',
  'aifi-cps-test-01',
  'cps-test-01-nodepth-cam1.mp4',
);
// The system Python: it has gi and GStreamer's RTSP server; a pyenv python3 on PATH does not.
const PYTHON = '/usr/bin/python3';
// From the package root, not this file: the benchmark runs this helper compiled, from dist/.
const SCRIPT = join(packageRoot, 'test', 'helpers', 'rtsp-server.py');
const READY_TIMEOUT_MS = 20_000;

export interface RtspCamera {
  readonly port: number;
  /** rtsp://[userinfo@]127.0.0.1:port/mount */
  url(mount: '/clip' | '/slow' | '/frozen' | '/auth' | string, userinfo?: string): string;
  /** Kills the server: connections are refused until restart. */
  stop(): Promise<void>;
  /** Brings it back on the same port. */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the camera for this test (auth: what /auth asks for); it is stopped when the test ends. */
export async function startRtspCamera(
  t: TestContext,
  auth: 'digest' | 'basic' = 'digest',
): Promise<RtspCamera> {
  const camera = await launchRtspCamera(auth);
  t.teardown(camera.stop);
  return camera;
}

/** Starts the camera; the caller stops it (the benchmark, which has no test to tie it to). */
export async function launchRtspCamera(auth: 'digest' | 'basic' = 'digest'): Promise<RtspCamera> {
  if (!existsSync(STORE_CLIP)) throw new Error(`the store clip is missing: ${STORE_CLIP}`);
  let child: ChildProcess | undefined;
  let port = 0;

  const start = async () => {
    const server = spawn(PYTHON, [SCRIPT, STORE_CLIP, String(port), auth], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = server;
    running.add(server);
    server.once('exit', () => running.delete(server));
    let stdout = '';
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    port = await new Promise<number>((ready, failed) => {
      const timer = setTimeout(
        () => failed(new Error(`rtsp-server.py not ready in time: ${stderr}`)),
        READY_TIMEOUT_MS,
      );
      server.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const m = /^ready (\d+)$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          ready(Number(m[1]));
        }
      });
      server.once('exit', (code) => {
        clearTimeout(timer);
        failed(new Error(`rtsp-server.py exited (${code}) before ready: ${stderr}`));
      });
    });
  };

  const stop = async () => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    get port() {
      return port;
    },
    url: (mount, userinfo) => `rtsp://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${port}${mount}`,
    stop,
    restart: start,
  };
}
