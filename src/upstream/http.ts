// The reference upstream's small HTTP API, on the same port as the WebSocket: list hubs, read what a
// hub delivered, and send it a command. Same bearer token as the hubs; every answer is JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { BearerCheck } from './auth.js';
import type { CommandResultFrame } from './frames.js';
import { CommandError } from './link.js';
import type { HubRecord, StoredEvent } from './store.js';

export const maxBodyBytes = 64 * 1024;
export const defaultEventsLimit = 1000;
export const maxEventsLimit = 10_000;
export const defaultCommandTimeoutMs = 10_000;

export interface ApiBackend {
  check: BearerCheck;
  hubs(): (HubRecord & { connected: boolean })[];
  hub(hubId: string): HubRecord | undefined;
  events(hubId: string, afterSeq: number, limit: number): StoredEvent[];
  sendCommand(
    hubId: string,
    name: string,
    args: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<CommandResultFrame>;
  /** Tells the live print and the log that a request was refused for its token. */
  refused(peer: string, status: number, reason: string): void;
}

const commandBody = z.strictObject({
  name: z.string().min(1).max(128),
  args: z.record(z.string(), z.unknown()).default({}),
  timeoutMs: z.number().int().min(1).max(300_000).default(defaultCommandTimeoutMs),
});

const count = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The request listener of the API; answers every request, never throws. */
export function apiHandler(api: ApiBackend): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(api, req, res).catch((err: unknown) => {
      /* c8 ignore next 2 -- every known failure is answered inside route(); this is the last resort */
      reply(res, 500, { error: { code: 'internal', message: (err as Error).message } });
    });
  };
}

async function route(api: ApiBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const auth = api.check(req);
  if (auth !== 'ok') {
    const reason = auth === 'missing' ? 'no bearer token' : 'wrong token';
    api.refused(`${req.socket.remoteAddress ?? '?'} http`, 401, reason);
    res.setHeader('WWW-Authenticate', 'Bearer');
    req.resume();
    return reply(res, 401, { error: { code: 'unauthorized', message: reason } });
  }
  const url = new URL(req.url ?? '/', 'http://upstream');
  const parts = url.pathname.split('/').filter((p) => p !== '');
  if (req.method === 'GET' && parts.length === 1 && parts[0] === 'hubs') return reply(res, 200, api.hubs());
  if (parts.length === 3 && parts[0] === 'hubs') {
    const hubId = decode(parts[1] as string);
    if (hubId !== undefined && req.method === 'GET' && parts[2] === 'events')
      return events(api, hubId, url, res);
    if (hubId !== undefined && req.method === 'POST' && parts[2] === 'commands')
      return command(api, hubId, req, res);
  }
  req.resume();
  reply(res, 404, { error: { code: 'not_found', message: `no ${req.method} ${url.pathname}` } });
}

function events(api: ApiBackend, hubId: string, url: URL, res: ServerResponse): void {
  const after = count.safeParse(url.searchParams.get('after') ?? 0);
  const limit = count.min(1).safeParse(url.searchParams.get('limit') ?? defaultEventsLimit);
  if (!after.success || !limit.success) {
    const message = 'after and limit must be whole numbers (limit at least 1)';
    reply(res, 400, { error: { code: 'bad_request', message } });
  } else if (!api.hub(hubId)) {
    reply(res, 404, { error: { code: 'unknown_hub', message: `no hub ${hubId}` } });
  } else {
    reply(res, 200, api.events(hubId, after.data, Math.min(limit.data, maxEventsLimit)));
  }
}

async function command(
  api: ApiBackend,
  hubId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const text = await readBody(req);
  if (text === undefined) {
    return reply(res, 413, {
      error: { code: 'too_large', message: `the body is over ${maxBodyBytes} bytes` },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reply(res, 400, { error: { code: 'bad_request', message: 'the body is not JSON' } });
  }
  const body = commandBody.safeParse(json);
  if (!body.success) {
    const issue = body.error.issues[0];
    const where = issue?.path.join('.') || '(body)';
    return reply(res, 400, { error: { code: 'bad_request', message: `${where}: ${issue?.message}` } });
  }
  try {
    reply(res, 200, await api.sendCommand(hubId, body.data.name, body.data.args, body.data.timeoutMs));
  } catch (err) {
    /* c8 ignore next -- sendCommand only rejects with CommandError */
    if (!(err instanceof CommandError)) throw err;
    const status = { not_connected: 404, timeout: 504, disconnected: 502, closing: 503 }[err.code];
    reply(res, status, { error: { code: err.code, message: err.message } });
  }
}

/** The body as text, or undefined when it is larger than maxBodyBytes. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
