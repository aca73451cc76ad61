// Reading a model profile from devices/ (or a path the configuration gives): one YAML file checked
// against its schema, every problem on its own line naming the file and the key.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { packageRoot } from '../system/package.js';

/** Shipped profiles. */
export const devicesDir = join(packageRoot, 'devices');

/** A profile's file: a bare name is a file in devices/, anything with a slash or .yaml a path from `baseDir`. */
export function profilePath(name: string, baseDir: string): string {
  if (name.includes('/') || name.endsWith('.yaml') || name.endsWith('.yml'))
    return isAbsolute(name) ? name : resolve(baseDir, name);
  return join(devicesDir, `${name}.yaml`);
}

/** Reads and validates a profile; throws an Error whose message is one line per problem. */
export function loadProfileFile<S extends z.ZodType>(path: string, schema: S): z.output<S> {
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
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues.map((i) => `${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n'),
  );
}
