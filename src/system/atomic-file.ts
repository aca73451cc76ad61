// Small state files (calibration, the store's trips and mode) replaced atomically: write a temporary
// file, fsync it, rename it over the old one, so a power cut leaves the old or the new, never half.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Replaces `path` with `text`, durably; throws with the system's reason when the disk refuses. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o640);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
