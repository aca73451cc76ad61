// What the store remembers across a restart, in the data directory: dataDir/store.json (mode, the
// emergency latch, trips inside, occupancy), replaced atomically on every change, and dataDir/palm-salt,
// the secret that makes a palm's reference in events useless outside this hub.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../system/atomic-file.js';
import type { Logger } from '../system/log.js';
import { freshStore, type StoreMemory } from './store.js';

const count = z.number().int().min(0);
const memorySchema = z.strictObject({
  mode: z.enum(['open', 'closed']),
  emergency: z.enum(['normal', 'active', 'latched']),
  emergencySource: z.string().optional(),
  trips: z.array(
    z.strictObject({
      tripId: z.string().min(1),
      gateId: z.string().min(1),
      credentialKind: z.enum(['qr', 'palm', 'command']),
      partySize: z.number().int().min(1),
      entered: count,
      inside: count,
    }),
  ),
  occupancy: count,
  strangers: count,
});

export class StoreMemoryFile {
  readonly path: string;
  readonly #log: Logger;
  #last = '';
  #next: StoreMemory | undefined;
  #writing: NodeJS.Immediate | undefined;

  constructor(dataDir: string, log: Logger) {
    this.path = join(dataDir, 'store.json');
    this.#log = log;
  }

  /** What was saved; a fresh store when nothing was, or when the file is unreadable (logged). */
  load(): StoreMemory {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.error({ err, path: this.path }, 'cannot read the store state; starting empty');
      return freshStore;
    }
    try {
      const memory = memorySchema.parse(JSON.parse(text));
      this.#last = JSON.stringify(memory);
      return memory;
    } catch (err) {
      this.#log.error(
        { path: this.path, err: (err as Error).message.slice(0, 200) },
        'the store state file is damaged; starting empty (trips inside are forgotten, the mode is open)',
      );
      return freshStore;
    }
  }

  /**
   * Saves `memory` right after the present turn of the event loop, so the file's fsync never holds up
   * a gate; changes within one turn share one write. `flush` writes at once.
   */
  save(memory: StoreMemory): void {
    this.#next = memory;
    this.#writing ??= setImmediate(() => this.flush());
  }

  /** Writes what is waiting, if it differs from the last saved; a disk that refuses is logged, not thrown. */
  flush(): void {
    if (this.#writing) clearImmediate(this.#writing);
    this.#writing = undefined;
    const memory = this.#next;
    this.#next = undefined;
    if (!memory) return;
    const text = JSON.stringify(memory);
    if (text === this.#last) return;
    try {
      writeFileAtomic(this.path, `${text}\n`);
      this.#last = text;
    } catch (err) {
      this.#log.error({ err, path: this.path }, 'cannot save the store state');
    }
  }
}

/** This hub's palm salt: made once, kept in the data directory, readable by the service alone. */
export function palmSalt(dataDir: string): Buffer {
  const path = join(dataDir, 'palm-salt');
  try {
    const salt = readFileSync(path);
    if (salt.length >= 16) return salt;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const salt = randomBytes(32);
  writeFileSync(path, salt, { mode: 0o600 });
  return salt;
}
