// Board models from devices/: a bus names its model by file name (or path), and the file's `protocol`
// picks the schema. The checks that need both a model and the configuration are in config/boards.ts.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
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
