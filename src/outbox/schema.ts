// The outbox's tables. `user_version` numbers the layout so a later release can migrate it.
import type Database from 'better-sqlite3';

const version = 1;

/** Creates or checks the tables; returns true when the file was new. */
export function migrate(db: Database.Database): boolean {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > version) {
    throw new Error(
      `the outbox was written by a newer store-gateway (layout ${current}, this one knows ${version})`,
    );
  }
  if (current === version) return false;
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      seq  INTEGER PRIMARY KEY,
      id   TEXT NOT NULL,
      time TEXT NOT NULL,
      kind TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS gaps (
      from_seq INTEGER NOT NULL,
      to_seq   INTEGER NOT NULL,
      count    INTEGER NOT NULL,
      at       TEXT NOT NULL
    );
    PRAGMA user_version = ${version};
  `);
  return true;
}
