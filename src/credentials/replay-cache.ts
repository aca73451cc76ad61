// Which single-use tokens have been used: their `jti`, kept until the token would have expired anyway,
// in SQLite in the data directory so a restart (or a crash right after an unlock) never lets a token
// in twice. The claim is committed before the gate is told to open; the disk sync that also makes it
// survive a power cut follows right after, off the gate's path (an fsync can take milliseconds, and a
// shopper at the gate should not wait for it).
import Database from 'better-sqlite3';

export interface ReplayCache {
  /** Marks `jti` used until `keepUntil` (ms); false when it was already used. */
  claim(jti: string, keepUntil: number, now: number): boolean;
  /** Whether `jti` has been used (and is still remembered); changes nothing. */
  seen(jti: string): boolean;
  close(): void;
}

/** Forgets expired entries at most this often, ms. */
const PURGE_EVERY_MS = 60_000;

export class SqliteReplayCache implements ReplayCache {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, number]>;
  readonly #purge: Database.Statement<[number]>;
  readonly #find: Database.Statement<[string]>;
  #purgedAt = Number.NEGATIVE_INFINITY;
  #syncing: NodeJS.Immediate | undefined;

  /** Opens (or creates) the cache at `path`; throws with the reason when the file cannot be used. */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    // NORMAL: a commit reaches the OS at once (a crash of the hub cannot lose it) and the disk at the
    // next checkpoint, which `claim` asks for right after the gate has been answered.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS used_tokens (jti TEXT PRIMARY KEY, keep_until INTEGER NOT NULL)',
    );
    this.#insert = this.#db.prepare('INSERT OR IGNORE INTO used_tokens (jti, keep_until) VALUES (?, ?)');
    this.#purge = this.#db.prepare('DELETE FROM used_tokens WHERE keep_until < ?');
    this.#find = this.#db.prepare('SELECT 1 FROM used_tokens WHERE jti = ?');
  }

  seen(jti: string): boolean {
    return this.#find.get(jti) !== undefined;
  }

  claim(jti: string, keepUntil: number, now: number): boolean {
    if (now - this.#purgedAt >= PURGE_EVERY_MS) {
      this.#purge.run(now);
      this.#purgedAt = now;
    }
    const claimed = this.#insert.run(jti, keepUntil).changes === 1;
    this.#syncing ??= setImmediate(() => this.#sync());
    return claimed;
  }

  /** Syncs the claims to the disk (a checkpoint syncs the log first); claims arriving meanwhile share it. */
  #sync(): void {
    this.#syncing = undefined;
    this.#db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    if (this.#syncing) {
      clearImmediate(this.#syncing);
      this.#sync();
    }
    this.#db.close();
  }
}
