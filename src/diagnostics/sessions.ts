// Who is signed in to the diagnostics page: sessions kept in memory (a restart signs everyone out),
// each with its own CSRF token, ending after a shift of inactivity; and the failed logins that make
// a name or an address wait before it may try again.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../system/clock.js';

export type Role = 'viewer' | 'technician';

export interface Session {
  /** The cookie's value: 32 random bytes. */
  readonly id: string;
  /** Sent back by the page with every action (x-csrf-token); a form on another site cannot know it. */
  readonly csrf: string;
  readonly account: string;
  readonly role: Role;
  /** When it was made: no session outlives MAX_AGE_MS, however busy. */
  readonly createdAt: number;
  expiresAt: number;
}

/** Twelve hours: longer than a shift, so a forgotten session on a shared laptop ends by the next one. */
const MAX_AGE_MS = 12 * 60 * 60_000;
/** Sessions one account may hold; a new one ends its oldest, so one account cannot crowd out the others. */
const PER_ACCOUNT = 8;

export class Sessions {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #byId = new Map<string, Session>();

  constructor(options: { clock: Pick<Clock, 'now'>; ttlMs: number; max?: number }) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs;
    this.#max = options.max ?? 64;
  }

  /** A new session; the account's oldest goes when it holds PER_ACCOUNT, the hub's oldest past `max`. */
  create(account: string, role: Role): Session {
    const own = [...this.#byId.values()].filter((s) => s.account === account);
    if (own.length >= PER_ACCOUNT) this.#byId.delete((own[0] as Session).id);
    if (this.#byId.size >= this.#max) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
    const now = this.#clock.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      account,
      role,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    this.#byId.set(session.id, session);
    return session;
  }

  /** The live session with this id, its time renewed; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    const session = this.peek(id);
    if (session) session.expiresAt = this.#clock.now() + this.#ttlMs;
    return session;
  }

  /** The live session with this id, its time left as it is: watching the live feed is not using it. */
  peek(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.#byId.get(id);
    if (!session) return undefined;
    const now = this.#clock.now();
    if (session.expiresAt <= now || now - session.createdAt >= MAX_AGE_MS) {
      this.#byId.delete(id);
      return undefined;
    }
    return session;
  }

  end(id: string): void {
    this.#byId.delete(id);
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }
}

/** Failed logins per key (an address, a name): after `maxFailures` in `windowMs`, wait out the window. */
export class LoginLimit {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: { clock: Pick<Clock, 'now'>; maxFailures?: number; windowMs?: number }) {
    this.#clock = options.clock;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
  }

  /** How long `key` must still wait before it may try, in ms; 0 when it may try now. */
  waitMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#maxFailures) return 0;
    return (recent[recent.length - this.#maxFailures] as number) + this.#windowMs - this.#clock.now();
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#clock.now());
    this.#failures.set(key, recent.slice(-this.#maxFailures));
    // Bounded: an attacker spraying addresses cannot grow this without end.
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value as string);
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#clock.now() - this.#windowMs;
    return (this.#failures.get(key) ?? []).filter((at) => at > since);
  }
}
