// The configured buses and boards checked against their models in devices/, so that `check-config`
// catches a wrong channel, a missing address or a bus too slow for its shelves before the hub
// touches a port. Each problem names its key.
import { nominalRate } from '../drivers/weight/buses.js';
import { channelsOf, loadProfile, profilePath, type WeightProfile } from '../drivers/weight/profiles.js';
import { minimumRateHz } from '../sensing/settings.js';
import type { Config } from './schema.js';

/**
 * The profile of every board (by board id), with the problems found; each problem names its key.
 * A board without its own `profile` has its bus's.
 */
export function resolveProfiles(
  devices: Config['devices'],
  baseDir: string,
): { boards: Map<string, WeightProfile>; problems: string[] } {
  const boards = new Map<string, WeightProfile>();
  const problems: string[] = [];
  const cache = new Map<string, WeightProfile | undefined>();
  const load = (name: string, key: string) => {
    const path = profilePath(name, baseDir);
    if (!cache.has(path)) {
      try {
        cache.set(path, loadProfile(path));
      } catch (err) {
        cache.set(path, undefined);
        problems.push(`${key}: ${(err as Error).message.split('\n').join(`\n${key}: `)}`);
      }
    }
    return cache.get(path);
  };
  devices.buses.forEach((bus, i) => {
    const where = `devices.buses[${i}]`;
    const busProfile = load(bus.profile, `${where}.profile`);
    const protocols = new Set<string>();
    bus.boards.forEach((board, j) => {
      const key = `${where}.boards[${j}]`;
      const profile = board.profile ? load(board.profile, `${key}.profile`) : busProfile;
      if (!profile) return;
      boards.set(board.id, profile);
      protocols.add(profile.protocol);
      if (profile.protocol === 'modbus-rtu') {
        if (board.address === undefined) problems.push(`${key}.address: required on a Modbus bus`);
        if (board.sampleRateHz !== undefined)
          problems.push(
            `${key}.sampleRateHz: a Modbus module is polled as fast as the bus allows; remove it`,
          );
      } else if (board.address !== undefined)
        problems.push(`${key}.address: only for Modbus boards (this is ${profile.protocol})`);
    });
    if (protocols.size > 1) problems.push(`${where}.boards: boards of one port must speak one protocol`);
    const only = [...protocols][0];
    if (protocols.size === 1 && only !== 'modbus-rtu' && bus.boards.length > 1)
      problems.push(`${where}.boards: a ${only} port has exactly one board, not ${bus.boards.length}`);
  });
  devices.shelves.forEach((shelf, i) => {
    shelf.wiring?.forEach((w, j) => {
      const profile = boards.get(w.board);
      if (!profile) return;
      const channels = channelsOf(profile);
      w.channels.forEach((ch, k) => {
        if (ch >= channels)
          problems.push(
            `devices.shelves[${i}].wiring[${j}].channels[${k}]: ${w.board} has channels 0-${channels - 1}, not ${ch}`,
          );
      });
    });
  });
  return { boards, problems };
}

/** Serial shelves whose boards deliver too few samples a second for change detection to work. */
export function slowShelves(config: Config, profiles: ReadonlyMap<string, WeightProfile>): string[] {
  const problems: string[] = [];
  const least = minimumRateHz();
  config.devices.shelves.forEach((shelf, i) => {
    for (const board of new Set((shelf.wiring ?? []).map((w) => w.board))) {
      const bus = config.devices.buses.find((b) => b.boards.some((x) => x.id === board));
      if (!bus) continue;
      const rate = nominalRate(bus, board, profiles);
      if (rate < least)
        problems.push(
          `devices.shelves[${i}].wiring: board ${board} gives about ${rate.toFixed(1)} samples/s, and shelf ${shelf.id} needs ${least} at least` +
            (profiles.get(board)?.protocol === 'modbus-rtu'
              ? ` (raise ${bus.id}'s baudRate, or put fewer modules on it)`
              : ' (raise its sampleRateHz)'),
        );
    }
  });
  return problems;
}
