// A camera's address as the configuration writes it. Credentials may sit in the URL (that is how
// cameras are configured in the field), so they are taken out at once: the rest of the driver sees a
// credential-free URL, a host:port to name in reasons, and the credentials as Secrets.
import { Secret } from '../../system/secret.js';

export type CameraScheme = 'rtsp' | 'http' | 'https' | 'tcp';

export interface CameraCredentials {
  username: string;
  password: Secret;
}

export interface CameraUrl {
  scheme: CameraScheme;
  /** Host name or address as the socket wants it: an IPv6 address without brackets. */
  host: string;
  port: number;
  /** The URL without credentials, as sent in requests. */
  href: string;
  credentials: CameraCredentials | undefined;
}

const defaultPorts: Record<CameraScheme, number | undefined> = {
  rtsp: 554,
  http: 80,
  https: 443,
  tcp: undefined,
};

/** Parses a camera URL; throws an Error whose message shows the URL redacted. */
export function parseCameraUrl(text: string): CameraUrl {
  const problem = (why: string) => new Error(`camera URL ${redactUrl(text)} ${why}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Without a scheme there is no telling where a password in it begins: not repeated at all.
    if (!SCHEME.test(text)) throw new Error('not a URL (not repeated here: it may hold a password)');
    throw problem('is not a URL');
  }
  const scheme = url.protocol.slice(0, -1);
  if (!isScheme(scheme)) throw problem('must start with rtsp://, http://, https:// or tcp://');
  if (url.hostname === '') throw problem('has no host');
  const port = url.port === '' ? defaultPorts[scheme] : Number(url.port);
  if (port === undefined) throw problem('needs a port (tcp://host:port)');
  if (port === 0) throw problem('has port 0, which nothing can be reached on');
  const username = decode(url.username);
  const password = decode(url.password);
  url.username = '';
  url.password = '';
  return {
    scheme,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    href: url.href,
    credentials:
      username === '' && password === '' ? undefined : { username, password: new Secret(password) },
  };
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** The URL with any userinfo replaced by `***`, for messages and logs; works on malformed URLs too. */
export function redactUrl(text: string): string {
  // From the scheme's colon (however many slashes follow: URL parsers forgive "rtsp:/user:pw@…" and
  // "http:user:pw@…") up to the last "@" of the whole text, so a password with an unescaped "/" or
  // "@" does not half-show either.
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/*)(.*)@/s, '$1***@');
}

/** Where a camera is, for reasons: `host:port`, an IPv6 address in brackets. */
export function cameraWhere(url: CameraUrl): string {
  return url.host.includes(':') ? `[${url.host}]:${url.port}` : `${url.host}:${url.port}`;
}

function isScheme(text: string): text is CameraScheme {
  return Object.hasOwn(defaultPorts, text);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A stray "%" that is not an escape is taken as written.
    return text;
  }
}
