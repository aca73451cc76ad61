// Outbox failures a technician can act on, instead of SQLite's codes.

export type OutboxErrorCode = 'disk_full' | 'corrupt' | 'unreadable' | 'closed' | 'io';

const advice: Record<OutboxErrorCode, string> = {
  disk_full: 'free space on that disk; events cannot be made durable until then',
  corrupt: 'stop the daemon, move the file aside (its unsent events are lost) and start again',
  unreadable: 'check that the file and its directory exist and belong to the service user',
  closed: 'the daemon is stopping',
  io: 'check the disk (dmesg, SMART); the file may be on failing storage',
};

export class OutboxError extends Error {
  constructor(
    readonly code: OutboxErrorCode,
    readonly path: string,
    detail: string,
  ) {
    super(`outbox ${path}: ${detail}; ${advice[code]}`);
    this.name = 'OutboxError';
  }
}

/** Maps an error thrown by better-sqlite3 to an OutboxError that says what to do. */
export function describeSqliteError(err: unknown, path: string): OutboxError {
  if (err instanceof OutboxError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_FULL')) return new OutboxError('disk_full', path, 'the disk is full');
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'))
    return new OutboxError('corrupt', path, `the file is corrupt or not an outbox (${message})`);
  const cannotOpen = /cannot open database/i.test(message);
  if (
    cannotOpen ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_PERM') ||
    code.startsWith('SQLITE_READONLY')
  )
    return new OutboxError('unreadable', path, `cannot open the file for writing (${message})`);
  return new OutboxError('io', path, message);
}
