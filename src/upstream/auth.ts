// Bearer-token check shared by the WebSocket upgrade and the HTTP API. Tokens are compared as
// SHA-256 digests with timingSafeEqual, so neither a token's content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Secret } from '../system/secret.js';

export type BearerCheck = (req: IncomingMessage) => 'ok' | 'missing' | 'wrong';

/** Builds the check for a request's `Authorization: Bearer <token>` against any of `tokens`. */
export function bearerCheck(tokens: readonly Secret[]): BearerCheck {
  if (tokens.length === 0) throw new Error('the upstream needs at least one token');
  const digests = tokens.map((t) => digest(t.reveal()));
  return (req) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (!match) return 'missing';
    const presented = digest(match[1] as string);
    // Every configured token is compared, so the time taken does not say which one nearly matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, presented) || ok;
    return ok ? 'ok' : 'wrong';
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
