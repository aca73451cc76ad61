// The files the diagnostics page is made of, all from the package, nothing from elsewhere: the page's
// script (built from web/ into dist/web) and style, and uPlot's. Read and compressed once, then served
// from memory with an ETag, so a phone on the store's Wi-Fi fetches each once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../system/package.js';

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

const require = createRequire(import.meta.url);

/** URL path → file; the page's own script only exists after `npm run build`. */
const files: Record<string, { file: () => string; type: string }> = {
  '/static/app.js': { file: () => join(packageRoot, 'dist', 'web', 'app.js'), type: 'text/javascript' },
  '/static/app.css': { file: () => join(packageRoot, 'web', 'app.css'), type: 'text/css' },
  '/static/uplot.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript',
  },
  '/static/uplot.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};

/** Every asset that could be read, and a problem for each that could not. */
export function loadAssets(): { assets: Map<string, Asset>; problems: string[] } {
  const assets = new Map<string, Asset>();
  const problems: string[] = [];
  for (const [path, { file, type }] of Object.entries(files)) {
    try {
      const body = readFileSync(file());
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      assets.set(path, { type: `${type}; charset=utf-8`, body, gzip: gzipSync(body), etag });
    } catch (err) {
      problems.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { assets, problems };
}
