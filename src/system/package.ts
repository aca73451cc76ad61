// Where the installed package lives and which version it is, whether this runs from dist/src after a
// build or from src under a TypeScript loader.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding store-gateway's package.json. */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export const version = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    /* c8 ignore next -- only when the file was copied out of its package */
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}
