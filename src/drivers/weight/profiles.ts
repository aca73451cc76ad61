// Board models from devices/: a bus names its model by file name (or path), the file's `protocol`
// picks the schema, and the checks that need both the model and the configuration live here, so that
// `check-config` catches a wrong channel or a missing address before the hub touches a port.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import { packageRoot } from '../../system/package.js';
import { asciiStreamProfileSchema } from './ascii-stream.js';
import { modbusProfileSchema } from './modbus/profile.js';
import { mtSicsProfileSchema } from './mt-sics.js';

export const weightProfileSchema = z.discriminatedUnion('protocol', [
  modbusProfileSchema,
  asciiStreamProfileSchema,
  mtSicsProfileSchema,
]);

export type WeightProfile = z.output<typeof weightProfileSchema>;

/** Shipped profiles. */
export const devicesDir = join(packageRoot, 'devices');

/** A profile's file: a bare name is a file in devices/, anything with a slash or .yaml a path from `baseDir`. */
export function profilePath(name: string, baseDir: string): string {
  if (name.includes('/') || name.endsWith('.yaml') || name.endsWith('.yml'))
    return isAbsolute(name) ? name : resolve(baseDir, name);
  return join(devicesDir, `${name}.yaml`);
}

/** Reads and validates a profile; throws an Error whose message is one line per problem. */
export function loadProfile(path: string): WeightProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    throw new Error(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = weightProfileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues.map((i) => `${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n'),
  );
}

/** Channels per board of a model; an MT-SICS scale has one. */
export function channelsOf(profile: WeightProfile): number {
  return profile.protocol === 'mt-sics' ? 1 : profile.channels;
}

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
