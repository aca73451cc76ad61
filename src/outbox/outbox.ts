// The durable store-and-forward queue between the hub's parts and the cloud. An event exists once
// its transaction is committed (WAL, synchronous=FULL); events emitted within one commit window share
// a transaction, so a burst costs one fsync, not one per event.
import Database from 'better-sqlite3';
import type { EventData, EventKind } from '../events/catalogue.js';
import { type Envelope, type PendingEvent, pendingEvent } from '../events/envelope.js';
import type { Logger } from '../system/log.js';
import { describeSqliteError, OutboxError } from './errors.js';
import { migrate } from './schema.js';

export { OutboxError };

export interface OutboxOptions {
  /** SQLite file; its directory must exist. */
  path: string;
  hub: { hubId: string; storeId: string };
  /** Most events kept; beyond it the oldest are evicted and an `outbox.gap` event says so. */
  maxEvents: number;
  /** Group commit window in ms; 0 commits on the next turn of the event loop. */
  commitIntervalMs: number;
  log: Logger;
  /** Caps the file's size (SQLite max_page_count); lets tests reproduce a full disk. */
  maxFileBytes?: number;
}

interface Waiting {
  event: PendingEvent;
  resolve: (e: Envelope) => void;
  reject: (err: Error) => void;
}

/** Evicting down to this share of maxEvents keeps gap events rare when the cloud stays away. */
const evictTo = 0.95;
/** Commit at once when this many events wait, so memory stays bounded in a burst. */
const maxBatch = 5000;

export class Outbox {
  readonly previousStop: 'clean' | 'crash' | 'none';
  readonly #db: Database.Database;
  readonly #opts: OutboxOptions;
  readonly #log: Logger;
  #nextSeq: number;
  #depth: number;
  #ackedSeq = 0;
  #ackPending = false;
  #pending: Waiting[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #closed = false;
  #listeners = new Set<(lastSeq: number) => void>();
  readonly #stmt;

  private constructor(db: Database.Database, opts: OutboxOptions, previousStop: Outbox['previousStop']) {
    this.#db = db;
    this.#opts = opts;
    this.#log = opts.log;
    this.previousStop = previousStop;
    this.#stmt = {
      insert: db.prepare('INSERT INTO events (seq, id, time, kind, data) VALUES (?, ?, ?, ?, ?)'),
      setMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
      readAfter: db.prepare(
        'SELECT seq, id, time, kind, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      deleteThrough: db.prepare('DELETE FROM events WHERE seq <= ?'),
      oldest: db.prepare('SELECT seq, time FROM events ORDER BY seq LIMIT 1 OFFSET ?'),
      first: db.prepare('SELECT seq, time FROM events ORDER BY seq LIMIT 1'),
      recordGap: db.prepare('INSERT INTO gaps (from_seq, to_seq, count, at) VALUES (?, ?, ?, ?)'),
    };
    const meta = Object.fromEntries(
      (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((r) => [
        r.key,
        r.value,
      ]),
    );
    const maxSeq = (db.prepare('SELECT MAX(seq) AS m FROM events').get() as { m: number | null }).m ?? 0;
    this.#nextSeq = Math.max(Number(meta.next_seq ?? 1), maxSeq + 1);
    this.#ackedSeq = Number(meta.acked_seq ?? 0);
    this.#depth = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  }

  /** Opens or creates the outbox; throws OutboxError when the file is unreadable, corrupt or the disk is full. */
  static open(opts: OutboxOptions): Outbox {
    let db: Database.Database | undefined;
    try {
      db = new Database(opts.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 2000');
      if (opts.maxFileBytes)
        db.pragma(`max_page_count = ${Math.max(8, Math.floor(opts.maxFileBytes / 4096))}`);
      const fresh = migrate(db);
      const cleanStop = db.prepare("SELECT value FROM meta WHERE key = 'clean_stop'").get() as
        | { value: number }
        | undefined;
      const previousStop = fresh ? 'none' : cleanStop?.value === 1 ? 'clean' : 'crash';
      // A full check reads the whole file (seconds on an SD card); after a clean stop it cannot be needed.
      if (previousStop === 'crash') {
        const check = db.pragma('quick_check', { simple: true });
        if (check !== 'ok')
          throw new OutboxError('corrupt', opts.path, `integrity check failed: ${String(check)}`);
      }
      // Until close() says otherwise, the next start will count this run as a crash.
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('clean_stop', 0) ON CONFLICT(key) DO UPDATE SET value = 0",
      ).run();
      return new Outbox(db, opts, previousStop);
    } catch (err) {
      db?.close();
      throw err instanceof OutboxError ? err : describeSqliteError(err, opts.path);
    }
  }

  /** Highest seq committed so far (0 when none ever was). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Events stored and not yet acknowledged by the cloud. */
  get depth(): number {
    return this.#depth;
  }

  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  /** Queues an event; resolves with its envelope once it is durable, rejects with OutboxError if it cannot be. */
  emit<K extends EventKind>(kind: K, data: EventData<K>, time?: Date): Promise<Envelope<K>> {
    if (this.#closed)
      return Promise.reject(new OutboxError('closed', this.#opts.path, 'the outbox is closed'));
    const event = pendingEvent(this.#opts.hub, kind, data, time);
    return new Promise<Envelope<K>>((resolve, reject) => {
      this.#pending.push({ event, resolve: resolve as (e: Envelope) => void, reject });
      if (this.#pending.length >= maxBatch) this.#commitNow();
      else this.#schedule();
    });
  }

  /** Committed events after `seq`, in order, at most `limit`. */
  readAfter(seq: number, limit: number): Envelope[] {
    const { hubId, storeId } = this.#opts.hub;
    const rows = this.#stmt.readAfter.all(seq, limit) as {
      seq: number;
      id: string;
      time: string;
      kind: EventKind;
      data: string;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      time: r.time,
      kind: r.kind,
      data: JSON.parse(r.data),
      hubId,
      storeId,
    }));
  }

  /** The cloud stored every event through `seq`; they are deleted with the next commit. */
  ack(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = Math.min(seq, this.lastSeq);
    this.#ackPending = true;
    this.#schedule();
  }

  /**
   * The cloud has seen seqs up to `seq` although this outbox never reached them (its data directory
   * was lost or restored from an old backup). Unsent events are renumbered after `seq` and numbering
   * goes on from there, so no seq is ever reused and nothing recorded before the welcome is lost.
   * Envelopes already handed out keep their old seq; only the stored events move.
   */
  skipTo(seq: number): void {
    if (seq < this.#nextSeq) return;
    this.#log.warn(
      { lastSeq: this.lastSeq, cloudSeq: seq, unsent: this.#depth },
      'the cloud is ahead of this outbox; unsent events are renumbered after its seq',
    );
    const first = (this.#db.prepare('SELECT MIN(seq) AS m FROM events').get() as { m: number | null }).m;
    const offset = first === null ? 0 : seq + 1 - first;
    this.#db.transaction(() => {
      // Through negative numbers, so no row collides with another while the primary keys move.
      this.#db.prepare('UPDATE events SET seq = -(seq + ?)').run(offset);
      this.#db.prepare('UPDATE events SET seq = -seq').run();
      this.#nextSeq = first === null ? seq + 1 : this.#nextSeq + offset;
      this.#ackedSeq = seq;
      this.#stmt.setMeta.run('next_seq', this.#nextSeq);
      this.#stmt.setMeta.run('acked_seq', seq);
    })();
  }

  /** Calls `listener(lastSeq)` after every commit that added events; returns the unsubscribe function. */
  onCommit(listener: (lastSeq: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Commits whatever is waiting now. */
  flush(): void {
    this.#commitNow();
  }

  /** Commits what is waiting, marks the stop as clean and closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#commitNow();
    this.#closed = true;
    try {
      this.#stmt.setMeta.run('clean_stop', 1);
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.#log.error(
        { err: describeSqliteError(err, this.#opts.path) },
        'outbox: could not record a clean stop',
      );
    }
    this.#db.close();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    const run = () => {
      this.#timer = undefined;
      this.#commitNow();
    };
    this.#timer =
      this.#opts.commitIntervalMs > 0 ? setTimeout(run, this.#opts.commitIntervalMs) : setImmediate(run);
  }

  #commitNow(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    if (this.#closed || (this.#pending.length === 0 && !this.#ackPending)) return;
    const batch = this.#pending;
    this.#pending = [];
    const firstSeq = this.#nextSeq;
    const depthBefore = this.#depth;
    const committed: Envelope[] = [];
    try {
      this.#db.transaction(() => {
        for (const w of batch) committed.push(this.#insert(w.event));
        if (this.#ackPending) {
          this.#depth -= this.#stmt.deleteThrough.run(this.#ackedSeq).changes;
          this.#stmt.setMeta.run('acked_seq', this.#ackedSeq);
        }
        if (this.#depth > this.#opts.maxEvents) this.#evict();
        this.#stmt.setMeta.run('next_seq', this.#nextSeq);
      })();
    } catch (err) {
      this.#nextSeq = firstSeq;
      this.#depth = depthBefore;
      const error = describeSqliteError(err, this.#opts.path);
      this.#log.error({ err: error, events: batch.length }, error.message);
      for (const w of batch) w.reject(error);
      // Acknowledged events were rolled back with the batch; deleting them alone frees the space it needed.
      if (this.#ackPending) this.#deleteAcked();
      return;
    }
    this.#ackPending = false;
    for (const [i, w] of batch.entries()) w.resolve(committed[i] as Envelope);
    if (committed.length > 0) for (const listener of this.#listeners) this.#notify(listener);
  }

  #deleteAcked(): void {
    try {
      this.#db.transaction(() => {
        this.#depth -= this.#stmt.deleteThrough.run(this.#ackedSeq).changes;
        this.#stmt.setMeta.run('acked_seq', this.#ackedSeq);
      })();
      this.#ackPending = false;
    } catch (err) {
      this.#log.error(
        { err: describeSqliteError(err, this.#opts.path) },
        'outbox: could not delete acknowledged events',
      );
    }
  }

  #notify(listener: (lastSeq: number) => void): void {
    try {
      listener(this.lastSeq);
    } catch (err) {
      // A listener's trouble is its own: the events are committed whatever it does.
      this.#log.error({ err }, 'outbox: a commit listener failed');
    }
  }

  #insert(event: PendingEvent): Envelope {
    const seq = this.#nextSeq++;
    this.#stmt.insert.run(seq, event.id, event.time, event.kind, JSON.stringify(event.data));
    this.#depth++;
    return { ...event, seq };
  }

  /** Runs inside the commit transaction: drop the oldest events and say so in an `outbox.gap` event. */
  #evict(): void {
    const excess = this.#depth - Math.floor(this.#opts.maxEvents * evictTo);
    const first = this.#stmt.first.get() as { seq: number; time: string };
    const last = this.#stmt.oldest.get(excess - 1) as { seq: number; time: string };
    const count = this.#stmt.deleteThrough.run(last.seq).changes;
    this.#depth -= count;
    this.#stmt.recordGap.run(first.seq, last.seq, count, new Date().toISOString());
    const gap: EventData<'outbox.gap'> = {
      fromSeq: first.seq,
      toSeq: last.seq,
      count,
      oldestTime: first.time,
      newestTime: last.time,
    };
    this.#log.warn(gap, 'outbox full: oldest events evicted before the cloud acknowledged them');
    this.#insert(pendingEvent(this.#opts.hub, 'outbox.gap', gap));
  }
}
