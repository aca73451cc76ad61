// A simulated palm-vein bridge: speaks protocol 1 (docs/devices.md, "Palm bridges") the way a vendor's
// bridge would, without a sensor. The hub starts it like any bridge:
//
//   command: [node, dist/src/sim/palm-bridge.js, --every, 5000, --seed, 7]
//
// It scans on SIGUSR2 (`kill -USR2 <pid>`) and every --every ms, the handle of one of --palms
// simulated people chosen with --seed. Misbehaviour, for tests: --garbage (a non-JSON line before each
// scan), --crash-after N (exit 3 after N scans), --no-hello (connect and stay silent), --fault DETAIL
// (report a fault instead of ready), --no-pong (ignore pings).
import { createConnection } from 'node:net';
import { parseArgs } from 'node:util';
import { PALM_BRIDGE_PROTOCOL, PALM_SOCKET_ENV } from '../drivers/scanner/palm-bridge-messages.js';
import { Random } from '../system/random.js';

const { values } = parseArgs({
  options: {
    every: { type: 'string' },
    seed: { type: 'string', default: '1' },
    palms: { type: 'string', default: '20' },
    garbage: { type: 'boolean', default: false },
    'crash-after': { type: 'string' },
    'no-hello': { type: 'boolean', default: false },
    'no-pong': { type: 'boolean', default: false },
    fault: { type: 'string' },
  },
});

const path = process.env[PALM_SOCKET_ENV];
if (!path) {
  process.stderr.write(`palm-bridge: ${PALM_SOCKET_ENV} must name the hub's socket\n`);
  process.exit(2);
}

const random = new Random(Number(values.seed));
const palms = Number(values.palms);
const crashAfter = values['crash-after'] === undefined ? Infinity : Number(values['crash-after']);
let scans = 0;

const socket = createConnection(path);
const send = (message: object) => socket.write(`${JSON.stringify(message)}\n`);

socket.on('connect', () => {
  if (values['no-hello']) return;
  send({
    type: 'hello',
    protocol: PALM_BRIDGE_PROTOCOL,
    vendor: 'store-gateway',
    model: 'sim-palm',
    bridgeVersion: '1',
  });
  if (values.fault !== undefined) send({ type: 'status', state: 'fault', detail: values.fault });
  else send({ type: 'status', state: 'ready' });
  process.on('SIGUSR2', scan);
  if (values.every !== undefined) setInterval(scan, Number(values.every));
});

// The hub pings now and then; any other line from it is for a later protocol and ignored.
let pending = '';
socket.on('data', (chunk: Buffer) => {
  const lines = (pending + chunk.toString()).split('\n');
  pending = lines.pop() as string;
  for (const line of lines) if (line === '{"type":"ping"}' && !values['no-pong']) send({ type: 'pong' });
});

// The hub went away or stopped us: leave quietly (and let coverage be written).
socket.on('error', () => process.exit(0));
socket.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

function scan(): void {
  if (values.garbage) socket.write('this is not json\n');
  send({ type: 'scan', handle: `sim-palm-${random.int(palms).toString().padStart(4, '0')}`, at: Date.now() });
  // Crashes after the scan is out, as a bridge whose SDK dies right after a read would.
  if (++scans >= crashAfter) socket.end(() => process.exit(3));
}
