// Board models from devices/: a bus names its model by file name (or path), and the file's `protocol`
// picks the schema. The checks that need both a model and the configuration are in config/boards.ts.
import { z } from 'zod';
import { loadProfileFile } from '../profile-file.js';
import { asciiStreamProfileSchema } from './ascii-stream.js';
import { modbusProfileSchema } from './modbus/profile.js';
import { mtSicsProfileSchema } from './mt-sics.js';

export const weightProfileSchema = z.discriminatedUnion('protocol', [
  modbusProfileSchema,
  asciiStreamProfileSchema,
  mtSicsProfileSchema,
]);

export type WeightProfile = z.output<typeof weightProfileSchema>;

export { devicesDir, profilePath } from '../profile-file.js';

/** Reads and validates a board profile; throws an Error whose message is one line per problem. */
export function loadProfile(path: string): WeightProfile {
  return loadProfileFile(path, weightProfileSchema);
}

/** Channels per board of a model; an MT-SICS scale has one. */
export function channelsOf(profile: WeightProfile): number {
  return profile.protocol === 'mt-sics' ? 1 : profile.channels;
}
