// What a reloaded configuration (SIGHUP) may change while the daemon runs. The entry credentials
// (the cloud's QR keys while it rotates them, the clock skew, the limits) and the store's mode rules
// apply at once; anything else (devices, the uplink, the data directory, the log level) needs a
// restart, and is refused with the sections named, so a technician knows the file and the daemon
// now differ.
import { isDeepStrictEqual } from 'node:util';
import { Secret } from '../system/secret.js';
import type { Config } from './schema.js';

/** Sections a reload applies at once. */
export const liveSections = ['credentials', 'store'] as const;
export type LiveSection = (typeof liveSections)[number];

export interface ReloadPlan {
  /** Changed, and applied now. */
  apply: LiveSection[];
  /** Changed, but kept as they are until a restart. */
  refuse: string[];
}

/** A configuration as loaded (HubConfig), or any object with its sections. */
type Comparable = { credentials: Config['credentials'] } & Record<string, unknown>;

/** A section as compared: a Secret compares by what it hides (a new token is a change too). */
function comparable(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Secret) return { secret: value.reveal() };
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, comparable(v)]));
  if (Array.isArray(value)) return value.map(comparable);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
}

/** Compares the running configuration with the file's, section by section. */
export function planReload(running: Comparable, next: Comparable): ReloadPlan {
  const sections = new Set([...Object.keys(running), ...Object.keys(next)]);
  const apply: LiveSection[] = [];
  const refuse: string[] = [];
  for (const section of [...sections].sort()) {
    const before = comparable(running[section]);
    const after = comparable(next[section]);
    if (isDeepStrictEqual(before, after)) continue;
    if ((liveSections as readonly string[]).includes(section)) {
      // A hub that had no QR keys has no replay cache open: turning QR on needs a restart.
      if (section === 'credentials' && Boolean(running.credentials.qr) !== Boolean(next.credentials.qr))
        refuse.push('credentials.qr (turned on or off)');
      else apply.push(section as LiveSection);
    } else refuse.push(section);
  }
  return { apply, refuse };
}
