// What the diagnostics server's live feed reads, without a hub: events, scans and log lines a test
// sends itself, and shelves whose samples it pushes.
import type { FeedEvent, LiveSources } from '../../src/diagnostics/live.js';
import { LogTail } from '../../src/diagnostics/log-tail.js';
import { Listeners } from '../../src/drivers/listeners.js';
import type { SeenScan } from '../../src/machines/scan-watch.js';
import type { PlateCalibration, ShelfSamples } from '../../src/sensing/types.js';

export interface TestLive extends LiveSources {
  emit(event: FeedEvent): void;
  scan(scan: SeenScan): void;
  samples(shelfId: string, batch: ShelfSamples): void;
  logs: LogTail;
  /** Listeners of each shelf's weights now. */
  watching(shelfId: string): number;
}

export function testLive(
  status: () => unknown = () => ({}),
  shelves: Record<string, PlateCalibration[]> = {},
): TestLive {
  const events = new Listeners<FeedEvent>();
  const scans = new Listeners<SeenScan>();
  const weights = new Map<string, Set<(batch: ShelfSamples, c: readonly PlateCalibration[]) => void>>();
  for (const id of Object.keys(shelves)) weights.set(id, new Set());
  return {
    status,
    events: (listener) => events.add(listener),
    scans: (listener) => scans.add(listener),
    weights: (shelfId, listener) => {
      const set = weights.get(shelfId);
      if (!set) return undefined;
      set.add(listener);
      return () => set.delete(listener);
    },
    logs: new LogTail(),
    emit: (event) => events.emit(event),
    scan: (scan) => scans.emit(scan),
    samples: (shelfId, batch) => {
      for (const listener of weights.get(shelfId) ?? []) listener(batch, shelves[shelfId] ?? []);
    },
    watching: (shelfId) => weights.get(shelfId)?.size ?? 0,
  };
}
