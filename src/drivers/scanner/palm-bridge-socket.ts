// Where a palm bridge's socket lives and how the hub listens on it: a path short enough for a unix
// socket, in a directory nobody else can tamper with, readable by the service alone.
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Where a palm bridge's socket lives: systemd's RuntimeDirectory when there is one, else a directory
 * of this user's under the temporary directory. Not the data directory: a unix socket's path may
 * have at most 107 bytes, and a data directory can be deep. The data directory's hash keeps two hubs
 * on one machine (a test run, a demo) apart.
 */
export function palmSocketPath(dataDir: string, scannerId: string): string {
  const runtime =
    process.env.RUNTIME_DIRECTORY ?? join(tmpdir(), `store-gateway-${process.getuid?.() ?? 'user'}`);
  const hub = createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  return join(runtime, `palm-${hub}-${scannerId}.sock`);
}

/** Listens at `path`, replacing a socket left by an earlier run; rejects with what is in the way. */
export async function listenForBridge(server: Server, path: string): Promise<void> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES)
    throw new Error(
      `the palm bridge socket path ${path} is ${bytes} bytes long; a unix socket path may have at most ${MAX_SOCKET_PATH_BYTES}`,
    );
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await checkSocketDirectory(dirname(path));
    await removeStaleSocket(path);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, 0o600);
  } catch (error) {
    throw new Error(`cannot listen for the palm bridge at ${path}: ${(error as Error).message}`);
  }
}

/**
 * Refuses a socket directory someone else could tamper with: in a shared temporary directory another
 * user may have made it first, to swap the socket and read the palm handles. It must be a real
 * directory (not a link), the service's own, and writable by nobody else.
 */
async function checkSocketDirectory(dir: string): Promise<void> {
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (uid !== undefined && info.uid !== uid && info.uid !== 0)
    throw new Error(`${dir} belongs to another user (uid ${info.uid}); remove it or set RUNTIME_DIRECTORY`);
  if ((info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0)
    throw new Error(`${dir} is writable by other users; make it 0700 or set RUNTIME_DIRECTORY`);
}

/** Removes a socket an earlier run (or a crashed hub) left behind; anything else at the path is refused. */
async function removeStaleSocket(path: string): Promise<void> {
  // Nothing there, or nothing we may look at: either way listen says what is wrong, if anything.
  const found = await lstat(path).catch(() => undefined);
  if (!found) return;
  if (!found.isSocket())
    throw new Error('something that is not a socket is in the way; the hub will not remove it');
  await rm(path, { force: true });
}
