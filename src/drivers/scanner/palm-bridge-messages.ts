// The palm bridge protocol, version 1, as data: what a vendor's bridge may send the hub, each line
// checked field by field against docs/devices.md ("Palm bridges"). Pure: no I/O, no clock. A problem
// is described in fixed words and never quotes what was sent, so it can be logged even when the line
// carried a handle.

export const PALM_BRIDGE_PROTOCOL = 1;
/** The environment variable that names the hub's socket to the bridge. */
export const PALM_SOCKET_ENV = 'STORE_GATEWAY_PALM_SOCKET';
/** The environment variable that names the scanner (its id in the configuration) to the bridge. */
export const PALM_SCANNER_ENV = 'STORE_GATEWAY_PALM_SCANNER';

/** Bytes in one line before its LF; a longer line is dropped whole. */
export const MAX_LINE_BYTES = 4096;
export const MAX_HANDLE_LENGTH = 1024;
/** vendor, model, bridgeVersion, error code. */
export const MAX_NAME_LENGTH = 64;
/** status detail and error message. */
export const MAX_TEXT_LENGTH = 256;

export type BridgeState = 'ready' | 'busy' | 'fault';

export type BridgeMessage =
  | { type: 'hello'; protocol: number; vendor: string; model: string; bridgeVersion: string }
  | { type: 'status'; state: BridgeState; detail?: string }
  | { type: 'scan'; handle: string; at?: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'pong' };

/** Why a line is not a message: the stats key and words for a technician. */
export type LineProblemKind = 'notJson' | 'unknownType' | 'badMessage' | 'badHandle';

export type ParsedLine =
  | { ok: true; message: BridgeMessage }
  | { ok: false; kind: LineProblemKind; problem: string };

const STATES: readonly string[] = ['ready', 'busy', 'fault'];
// Printable ASCII without the space: what a handle may hold.
const HANDLE = /^[\x21-\x7e]+$/;
const CODE = /^[A-Za-z0-9_.-]+$/;
// C0 and C1 controls and DEL (Unicode's Cc): text that would break a log line or a terminal.
const CONTROL = /\p{Cc}/u;

/** Reads one line (without its LF) as a bridge message. */
export function parseBridgeLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, kind: 'notJson', problem: 'a line that is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, kind: 'notJson', problem: 'a line that is not a JSON object' };
  const fields = value as Record<string, unknown>;
  const bad = (problem: string): ParsedLine => ({ ok: false, kind: 'badMessage', problem });
  switch (fields.type) {
    case 'hello': {
      if (!Number.isInteger(fields.protocol)) return bad('a hello without an integer protocol');
      const vendor = name(fields.vendor);
      const model = name(fields.model);
      const bridgeVersion = name(fields.bridgeVersion);
      if (vendor === undefined || model === undefined || bridgeVersion === undefined)
        return bad(
          `a hello whose vendor, model or bridgeVersion is not 1-${MAX_NAME_LENGTH} printable characters`,
        );
      return {
        ok: true,
        message: { type: 'hello', protocol: fields.protocol as number, vendor, model, bridgeVersion },
      };
    }
    case 'status': {
      if (typeof fields.state !== 'string' || !STATES.includes(fields.state))
        return bad('a status whose state is not ready, busy or fault');
      const detail = optionalText(fields.detail);
      if (detail === null)
        return bad(`a status whose detail is not text of at most ${MAX_TEXT_LENGTH} characters`);
      const message: BridgeMessage = { type: 'status', state: fields.state as BridgeState };
      if (detail !== undefined) message.detail = detail;
      return { ok: true, message };
    }
    case 'scan': {
      const problem = handleProblem(fields.handle);
      if (problem) return { ok: false, kind: 'badHandle', problem };
      if (fields.at !== undefined && !(Number.isSafeInteger(fields.at) && (fields.at as number) >= 0))
        return bad('a scan whose at is not milliseconds since the epoch');
      const message: BridgeMessage = { type: 'scan', handle: fields.handle as string };
      if (fields.at !== undefined) message.at = fields.at as number;
      return { ok: true, message };
    }
    case 'error': {
      const code =
        typeof fields.code === 'string' && fields.code.length <= MAX_NAME_LENGTH && CODE.test(fields.code);
      const message = optionalText(fields.message);
      if (!code || message === undefined || message === null)
        return bad(
          `an error without a code (1-${MAX_NAME_LENGTH} of A-Z a-z 0-9 _ . -) and a message (at most ${MAX_TEXT_LENGTH} characters)`,
        );
      return { ok: true, message: { type: 'error', code: fields.code as string, message } };
    }
    case 'pong':
      return { ok: true, message: { type: 'pong' } };
    default:
      return { ok: false, kind: 'unknownType', problem: 'a message of a type protocol 1 does not have' };
  }
}

/** What is wrong with a scan's handle, in words that never quote it; undefined when it is usable. */
export function handleProblem(handle: unknown): string | undefined {
  if (typeof handle !== 'string') return 'a scan without a handle string';
  if (handle.length === 0) return 'a scan with an empty handle';
  if (handle.length > MAX_HANDLE_LENGTH)
    return `a scan whose handle is longer than ${MAX_HANDLE_LENGTH} characters`;
  if (!HANDLE.test(handle)) return 'a scan whose handle is not printable ASCII (spaces, controls or binary)';
  return undefined;
}

function name(value: unknown): string | undefined {
  return typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_NAME_LENGTH &&
    !CONTROL.test(value)
    ? value
    : undefined;
}

/** undefined when absent, null when present but not acceptable text. */
function optionalText(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value.length <= MAX_TEXT_LENGTH && !CONTROL.test(value) ? value : null;
}
