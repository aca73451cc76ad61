// The hub's local HTTP server on `diagnostics.listen` (127.0.0.1:8080 by default): Prometheus metrics
// at /metrics, and for technicians a login (accounts from the configuration, scrypt hashes), session
// cookies (HttpOnly, SameSite=Strict), a CSRF token on every action, a wait after repeated failed
// logins, and two roles: a viewer reads, a technician acts. Every action goes through the same
// command handler as the cloud's, so it leaves an audit.command naming the account. Nothing a
// request sends can stop the server: bodies are capped, every failure is an answer.
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '../system/clock.js';
import type { Logger } from '../system/log.js';
import { checkPassword, decoyHash } from '../system/passwords.js';
import { type Asset, loadAssets } from './assets.js';
import { LiveFeed, type LiveSources } from './live.js';
import type { HubMetrics } from './metrics.js';
import { appPage, loginPage } from './pages.js';
import { LoginLimit, type Role, type Session, Sessions } from './sessions.js';

export interface Account {
  name: string;
  role: Role;
  passwordHash: string;
}

export interface CommandAnswer {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface DiagnosticsOptions {
  /** host:port; port 0 takes a free one (tests). */
  listen: string;
  metrics: HubMetrics;
  accounts: readonly Account[];
  sessionMinutes: number;
  /** Runs a command for a technician; the audit names the account. */
  command: (name: string, args: Record<string, unknown>, by: string) => Promise<CommandAnswer>;
  /** What the page's live feed carries. */
  live: LiveSources;
  clock: Pick<Clock, 'now'>;
  log: Logger;
}

const COOKIE = 'sg_session';
const MAX_FORM_BYTES = 4 * 1024;
const MAX_JSON_BYTES = 16 * 1024;
/** scrypt checks at once; more logins than that wait a moment (503). */
const MAX_CHECKS = 2;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class DiagnosticsServer {
  readonly #options: DiagnosticsOptions;
  readonly #server: Server;
  readonly #sessions: Sessions;
  /** Failed logins from one address, whatever the name. */
  readonly #byAddress: LoginLimit;
  /** Failed logins for one name from anywhere: higher, so a stranger cannot lock a technician out in five tries. */
  readonly #byAccount: LoginLimit;
  /** scrypt checks under way: each is 32 MiB and a thread-pool thread for a tenth of a second. */
  #checking = 0;
  readonly #live: LiveFeed;
  readonly #assets: Map<string, Asset>;
  readonly #assetProblems: string[];

  constructor(options: DiagnosticsOptions) {
    this.#options = options;
    this.#sessions = new Sessions({ clock: options.clock, ttlMs: options.sessionMinutes * 60_000 });
    this.#byAddress = new LoginLimit({ clock: options.clock, maxFailures: 5 });
    this.#byAccount = new LoginLimit({ clock: options.clock, maxFailures: 30 });
    this.#live = new LiveFeed(options.live, options.log);
    ({ assets: this.#assets, problems: this.#assetProblems } = loadAssets());
    this.#server = createServer({ connectionsCheckingInterval: 2000 }, (request, response) => {
      this.#handle(request, response).catch((err: unknown) => {
        if (err instanceof HttpError) {
          sendText(response, err.status, err.message, err.headers);
          return;
        }
        options.log.error({ err }, 'diagnostics request failed');
        if (!response.headersSent) sendText(response, 500, 'internal error; see the hub log');
        else response.end();
      });
    });
    // Slow or idle clients must not hold sockets for long on a small hub.
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5_000;
    this.#server.maxConnections = 32;
    this.#server.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head));
  }

  /** Listens; rejects with the reason (address in use, not permitted) in a technician's words. */
  async start(): Promise<void> {
    const { host, port } = splitHostPort(this.#options.listen);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`diagnostics cannot listen on ${this.#options.listen}: ${err.code ?? err.message}`)),
      );
      this.#server.listen(port, host, () => resolve());
    });
    this.#options.log.info({ listen: this.address }, 'diagnostics listening');
    if (this.#assetProblems.length > 0)
      this.#options.log.error(
        { missing: this.#assetProblems },
        'the diagnostics page is incomplete: run `npm run build` (and `npm ci`) in the package',
      );
  }

  /** host:port actually listened on. */
  get address(): string {
    const address = this.#server.address() as AddressInfo | null;
    if (!address) return this.#options.listen;
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  /** Live pages open now. */
  get liveFeeds(): number {
    return this.#live.clients;
  }

  async stop(): Promise<void> {
    this.#live.stop();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] as string;
    const method = request.method ?? 'GET';
    const route = `${method} ${path}`;
    if (path === '/metrics') return this.#metrics(method, response);
    if (path.startsWith('/static/')) return this.#asset(request, response, path);
    if (method === 'POST') this.#sameSite(request);
    switch (route) {
      case 'GET /login':
        return sendHtml(response, 200, loginPage());
      case 'GET /favicon.ico':
        // Browsers ask on every page; there is none, and that is not an error worth a 404 in the console.
        response.writeHead(204, { 'cache-control': 'max-age=86400' });
        response.end();
        return;
      case 'POST /login':
        return this.#login(request, response);
      case 'POST /logout':
        return this.#logout(request, response);
      case 'GET /':
        return this.#home(request, response);
      case 'GET /api/session':
        // Whether the cookie still signs in, without counting as a use: the page asks after losing its feed.
        response.writeHead(this.#sessions.peek(cookieOf(request)) ? 204 : 401, {
          'cache-control': 'no-store',
        });
        response.end();
        return;
      case 'GET /api/status':
        this.#signedIn(request, 'viewer');
        return sendJson(response, 200, this.#options.live.status());
      case 'POST /api/commands':
        return this.#command(request, response);
    }
    throw new HttpError(404, `not found: ${path}`);
  }

  async #metrics(method: string, response: ServerResponse): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD')
      throw new HttpError(405, 'method not allowed', { allow: 'GET, HEAD' });
    const body = await this.#options.metrics.text();
    response.writeHead(200, {
      'content-type': this.#options.metrics.contentType,
      'cache-control': 'no-store',
    });
    response.end(method === 'HEAD' ? undefined : body);
  }

  async #login(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const form = new URLSearchParams(
      await readBody(request, MAX_FORM_BYTES, 'application/x-www-form-urlencoded'),
    );
    const name = (form.get('name') ?? '').slice(0, 64);
    const password = form.get('password') ?? '';
    const address = `address:${request.socket.remoteAddress ?? '?'}`;
    const account = this.#options.accounts.find((a) => a.name === name);
    const named = `account:${name}`;
    const waitMs = Math.max(this.#byAddress.waitMs(address), this.#byAccount.waitMs(named));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return sendHtml(
        response,
        429,
        loginPage(`Too many failed logins: try again in ${Math.ceil(seconds / 60)} min.`),
        {
          'retry-after': String(seconds),
        },
      );
    }
    if (this.#checking >= MAX_CHECKS)
      return sendHtml(response, 503, loginPage('The hub is busy: try again in a moment.'), {
        'retry-after': '1',
      });
    // Counted as failed before the check, so logins sent all at once cannot all slip past the limit;
    // a good one is forgiven after.
    this.#byAddress.fail(address);
    this.#byAccount.fail(named);
    this.#checking++;
    let good: boolean;
    try {
      // An unknown name is checked against a decoy, so it takes as long as a known one.
      good =
        this.#options.accounts.length > 0 &&
        (await checkPassword(password, account?.passwordHash ?? decoyHash));
    } finally {
      this.#checking--;
    }
    if (!account || !good) {
      // The name as typed is logged only when it is an account: it may be a password typed in the wrong field.
      this.#options.log.warn(
        { account: account ? name : '(unknown)', address: request.socket.remoteAddress },
        'diagnostics login refused',
      );
      return sendHtml(response, 401, loginPage('Wrong name or password.'));
    }
    this.#byAddress.succeed(address);
    this.#byAccount.succeed(named);
    const session = this.#sessions.create(account.name, account.role);
    this.#options.log.info({ account: account.name, role: account.role }, 'diagnostics login');
    response.writeHead(303, {
      location: '/',
      'set-cookie': `${COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#sessions.ttlMs / 1000)}`,
      'cache-control': 'no-store',
    });
    response.end();
  }

  async #logout(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const session = this.#signedIn(request, 'viewer');
    // A form cannot send a header: its token comes as a field.
    const form = new URLSearchParams(
      await readBody(request, MAX_FORM_BYTES, 'application/x-www-form-urlencoded'),
    );
    this.#checkCsrf(form.get('csrf') ?? undefined, session);
    this.#sessions.end(session.id);
    response.writeHead(303, {
      location: '/login',
      'set-cookie': `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
    });
    response.end();
  }

  #home(request: IncomingMessage, response: ServerResponse): void {
    const session = this.#sessions.get(cookieOf(request));
    if (!session) {
      response.writeHead(303, { location: '/login' });
      response.end();
      return;
    }
    sendHtml(response, 200, appPage(session));
  }

  #asset(request: IncomingMessage, response: ServerResponse, path: string): void {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw new HttpError(405, 'method not allowed', { allow: 'GET, HEAD' });
    const asset = this.#assets.get(path);
    if (!asset) throw new HttpError(404, `not found: ${path}`);
    const headers = {
      'content-type': asset.type,
      etag: asset.etag,
      // Checked each time (a cheap 304): an upgrade of the hub must reach the page at once.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (request.headers['if-none-match'] === asset.etag) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    const body = gzip ? asset.gzip : asset.body;
    response.writeHead(200, {
      ...headers,
      'content-length': String(body.length),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  /**
   * The page's live feed: a signed-in session, from this server's own page (a WebSocket is not bound
   * by the same-origin rule, so another site's page could otherwise open one with the cookie).
   */
  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, why: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\n${why}\n`,
      );
    };
    socket.on('error', () => socket.destroy());
    if ((request.url ?? '').split('?')[0] !== '/api/live') {
      refuse(404, 'not found');
      return;
    }
    let origin: string | undefined;
    try {
      origin = new URL(request.headers.origin ?? '').host;
    } catch {}
    if (origin === undefined || origin !== request.headers.host) {
      refuse(403, 'refused: the request came from another site');
      return;
    }
    const id = cookieOf(request);
    const session = this.#sessions.peek(id);
    if (!session) {
      refuse(401, 'sign in first: /login');
      return;
    }
    const full = this.#live.refusal(session);
    if (full) {
      refuse(503, full);
      return;
    }
    this.#live.accept(request, socket, head, session, () => this.#sessions.peek(id) === session);
  }

  async #command(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const session = this.#signedIn(request, 'technician');
    const header = request.headers['x-csrf-token'];
    this.#checkCsrf(typeof header === 'string' ? header : undefined, session);
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, MAX_JSON_BYTES, 'application/json'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'the body is not JSON');
    }
    const { name, args } = (body ?? {}) as { name?: unknown; args?: unknown };
    if (
      typeof name !== 'string' ||
      (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
    )
      throw new HttpError(400, 'expected {"name": "...", "args": {...}}');
    const answer = await this.#options.command(
      name,
      (args ?? {}) as Record<string, unknown>,
      session.account,
    );
    sendJson(response, answer.ok ? 200 : 422, answer);
  }

  /** The session of the request, with at least `role`; a 401 or 403 otherwise. */
  #signedIn(request: IncomingMessage, role: Role): Session {
    const session = this.#sessions.get(cookieOf(request));
    if (!session) throw new HttpError(401, 'sign in first: /login');
    if (role === 'technician' && session.role !== 'technician')
      throw new HttpError(403, `the account ${session.account} may look, not act (role viewer)`);
    return session;
  }

  /**
   * A POST from another site's page (a login tried from a shop's web page, DNS rebinding) is refused:
   * browsers say where a request comes from, and the page here never posts elsewhere.
   */
  #sameSite(request: IncomingMessage): void {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      throw new HttpError(403, 'refused: the request came from another site');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {}
      if (host !== request.headers.host)
        throw new HttpError(403, 'refused: the request came from another site');
    }
  }

  #checkCsrf(token: string | undefined, session: Session): void {
    if (token !== session.csrf) throw new HttpError(403, 'missing or wrong CSRF token: reload the page');
  }
}

function cookieOf(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, value] = part.trim().split('=');
    if (key === COOKIE && value) return value;
  }
  return undefined;
}

/** The body as text, refused past `limit` bytes or in another content type. */
async function readBody(request: IncomingMessage, limit: number, type: string): Promise<string> {
  if (!(request.headers['content-type'] ?? '').startsWith(type)) throw new HttpError(415, `expected ${type}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `the body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const security = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
};

/** An answer with the security headers every page and API answer carries. */
function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': type, ...security, ...headers });
  response.end(body);
}

const sendHtml = (response: ServerResponse, status: number, html: string, headers?: Record<string, string>) =>
  send(response, status, 'text/html; charset=utf-8', html, headers);

const sendJson = (response: ServerResponse, status: number, body: unknown) =>
  send(response, status, 'application/json', JSON.stringify(body));

const sendText = (response: ServerResponse, status: number, text: string, headers?: Record<string, string>) =>
  send(response, status, 'text/plain; charset=utf-8', `${text}\n`, headers);

function splitHostPort(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}
