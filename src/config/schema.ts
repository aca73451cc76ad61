// The one schema of a hub's configuration. TypeScript types and configs/store-gateway.schema.json both
// come from here, so the file a technician edits and the code that reads it cannot drift apart.
import { z } from 'zod';
import { gateLineNames } from '../drivers/gpio/gate-profile.js';
import { usbId } from '../drivers/scanner/hid-profile.js';
import { passwordHashPattern } from '../system/passwords.js';
import { camera, cameraHealth } from './cameras.js';
import { demoPasswordHashes, onLoopback } from './demo-accounts.js';
import { id } from './id.js';
import { bus, checkShelves, product, shelf } from './shelves.js';

const durationMs = (min: number, max: number) => z.number().int().min(min).max(max);

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:8080');

export const upstreamUrl = z
  .string()
  .url('a URL such as wss://cloud.example.com/hub')
  .refine((u) => /^wss?:\/\//.test(u), 'a ws:// or wss:// URL')
  .refine((u) => !u.includes('#'), 'a URL without a #fragment (WebSocket URLs cannot have one)');

const upstream = z
  .strictObject({
    url: upstreamUrl.describe('WebSocket URL of the store cloud (protocol store-gateway.v1)'),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'File holding the bearer token. The token itself never goes in this file; STORE_GATEWAY_UPSTREAM_TOKEN wins over it.',
      ),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(2000)
      .describe('Events sent and not yet acknowledged'),
    maxBufferedBytes: z
      .number()
      .int()
      .min(16_384)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Stop sending while the socket buffers more than this many bytes'),
    maxFrameBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest frame accepted from the cloud'),
    pingIntervalMs: durationMs(500, 600_000)
      .default(5000)
      .describe('Ping period; two missed pongs mean a dead peer'),
    helloTimeoutMs: durationMs(100, 600_000)
      .default(10_000)
      .describe('Wait this long for "welcome" after "hello"'),
    requestTimeoutMs: durationMs(50, 600_000)
      .default(3000)
      .describe('Default timeout of a request to the cloud'),
    reconnectMinMs: durationMs(10, 600_000)
      .default(500)
      .describe('First reconnect delay (jittered, doubling)'),
    reconnectMaxMs: durationMs(100, 3_600_000).default(30_000).describe('Longest reconnect delay'),
    rejectedRetryMs: durationMs(100, 3_600_000)
      .default(60_000)
      .describe('Delay before retrying after the cloud refused the token (HTTP 401/403)'),
  })
  .refine((u) => u.reconnectMaxMs >= u.reconnectMinMs, {
    message: 'reconnectMaxMs must be at least reconnectMinMs',
    path: ['reconnectMaxMs'],
  });

const outbox = z.strictObject({
  maxEvents: z
    .number()
    .int()
    .min(100)
    .max(100_000_000)
    .default(2_000_000)
    .describe('Events kept while the cloud is away; beyond it the oldest are evicted and a gap is reported'),
  commitIntervalMs: durationMs(0, 1000)
    .default(2)
    .describe('Group commit window: events emitted within it share one transaction and one fsync'),
});

const gateLine = z.enum(gateLineNames);

export const gateSchema = z.strictObject({
  id,
  role: z.enum(['entry', 'exit']),
  driver: z.enum(['sim', 'onoff']).describe('GPIO adapter: sim (the simulated store) or onoff (sysfs GPIO)'),
  profile: z
    .string()
    .min(1)
    .describe('Gate model: a file in devices/ (gate-turnstile, gate-swing, gate-door) or a path to one'),
  lines: z
    .partialRecord(gateLine, z.number().int().min(0).max(1023))
    .optional()
    .describe(
      'onoff: each line\'s number on its GPIO chip ("GPIO17" is 17), not the kernel\'s sysfs number. ' +
        'unlock, beamOuter and beamInner are required; a line left out is not used',
    ),
  gpio: z
    .strictObject({
      chip: z
        .string()
        .min(1)
        .optional()
        .describe('Label of the GPIO chip, e.g. pinctrl-bcm2711 (default: found)'),
      base: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("The chip's first sysfs number, when it cannot be found"),
    })
    .optional()
    .describe('onoff: which GPIO chip the line numbers are on'),
});

const hidMatch = z.strictObject({
  vendorId: usbId.optional().describe('USB vendor id, as 0xvvvv from `lsusb`'),
  productId: usbId.optional().describe('USB product id, as 0xpppp from `lsusb`'),
  serialNumber: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Tells identical scanners apart; from `lsusb -v` (iSerial)'),
  path: z
    .string()
    .min(1)
    .max(256)
    .optional()
    .describe(
      'The device path: /dev/hidrawN (hidraw; may change on re-plug) or the USB port such as 1-1.2:1.0 (libusb)',
    ),
  usagePage: usbId
    .optional()
    .describe('The interface: 0x8C for HID POS, 0x01 for keyboard, when a scanner shows both'),
});

const scanner = z.strictObject({
  id,
  kind: z.enum(['qr', 'palm']),
  gateId: id.describe('Gate this scanner stands at'),
  driver: z
    .enum(['sim', 'serial', 'hid', 'bridge'])
    .describe(
      'sim; serial for a USB-CDC QR scanner (one line per code); hid for a USB HID QR scanner (keyboard or HID POS mode); bridge for a palm scanner behind its vendor bridge',
    ),
  path: z
    .string()
    .min(1)
    .optional()
    .describe('serial: the port; prefer /dev/serial/by-id/…, which survives a re-plug'),
  profile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'serial: the scanner model in devices/ (default qr-usb-cdc); hid: the model (default hid-keyboard-wedge-generic)',
    ),
  match: hidMatch
    .optional()
    .describe(
      "hid: which USB device it is; each key given must fit and wins over the model's (docs/devices.md, USB HID scanners)",
    ),
  baudRate: z.number().int().min(300).max(4_000_000).optional().describe("serial: default the profile's"),
  command: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "bridge: the vendor bridge's program and arguments, run without a shell (docs/devices.md, Palm bridges)",
    ),
  env: z
    .record(z.string(), z.string())
    .refine(
      (vars) => Object.keys(vars).every((name) => /^[A-Z_][A-Z0-9_]*$/.test(name)),
      'environment variable names: capitals, digits and _',
    )
    .optional()
    .describe("bridge: added to the bridge's environment (a licence file, a sensor's serial number)"),
});

const devices = z.strictObject({
  buses: z.array(bus).default([]).describe('Serial ports with load-cell boards (RS-485 buses, scales)'),
  gates: z.array(gateSchema).default([]),
  scanners: z.array(scanner).default([]),
  shelves: z.array(shelf).default([]),
  cameras: z.array(camera).default([]),
});

const sim = z.strictObject({
  seed: z.number().int().default(1).describe('Seed of the simulation, so a run can be repeated'),
  faultEverySeconds: z
    .number()
    .min(0)
    .default(20)
    .describe('Mean time between simulated device faults (a cable kicked, a camera freezing); 0 = none'),
  faultDurationSeconds: z.number().min(0.1).default(4).describe('Mean duration of a simulated fault'),
  shoppersEverySeconds: z
    .number()
    .min(0)
    .default(8)
    .describe(
      'Mean time between simulated shoppers taking (and now and then returning) items, store-wide; with gate shoppers, only while a party is inside; 0 = none',
    ),
  plateFaults: z
    .boolean()
    .default(false)
    .describe('Let simulated faults also break single plates (dead, stuck, noisy)'),
  gateShoppersEverySeconds: z
    .number()
    .min(0)
    .default(15)
    .describe('Mean time between simulated shoppers arriving at the entry gates; 0 = none'),
  fireDrillEveryMinutes: z
    .number()
    .min(0)
    .default(0)
    .describe('Mean time between simulated fire drills (every gate opens); 0 = none'),
  qrSigningKeyFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The simulated cloud's private Ed25519 key (a JWK with kid) for the shoppers' QR tokens; relative to this file",
    ),
});

const store = z.strictObject({
  criticalDevices: z
    .array(id)
    .default([])
    .describe('Devices whose loss closes the store (an entry gate, the scanner at it); ids from devices'),
  closeWithoutCoverage: z
    .boolean()
    .default(true)
    .describe('Close while a shelf that has cameras is seen by none of them (else only degraded)'),
  warmUpSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(60)
    .describe('After a start, device problems only degrade the store for this long while devices come up'),
});

const qrKey = z.strictObject({
  kid: z.string().min(1).max(64).describe("The key id the cloud puts in a token's header"),
  x: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'an Ed25519 public key: its 32 bytes in base64url (the "x" of its JWK)')
    .describe('The Ed25519 public key: its 32 bytes in base64url (the "x" of its JWK)'),
});

const credentials = z.strictObject({
  cloudTimeoutMs: durationMs(100, 10_000)
    .default(1500)
    .describe(
      "How long an entry waits for the cloud's entry.authorize answer before the offline policy decides; " +
        "shorter than every gate's authoriseTimeoutMs",
    ),
  qr: z
    .strictObject({
      keys: z
        .array(qrKey)
        .min(1)
        .superRefine((keys, ctx) => {
          const kids = keys.map((k) => k.kid);
          kids.forEach((kid, i) => {
            if (kids.indexOf(kid) !== i)
              ctx.addIssue({ code: 'custom', path: [i, 'kid'], message: `duplicate key id "${kid}"` });
          });
        })
        .describe('Public keys that sign QR entry tokens; several while the cloud rotates them'),
      clockSkewSeconds: z
        .number()
        .int()
        .min(0)
        .max(600)
        .default(30)
        .describe("How far the hub's and the cloud's clocks may disagree when checking exp and nbf, s"),
      maxTokenBytes: z
        .number()
        .int()
        .min(256)
        .max(8192)
        .default(2048)
        .describe('Longer codes are refused unread'),
      maxPartySize: z
        .number()
        .int()
        .min(1)
        .max(50)
        .default(8)
        .describe('The largest party one token may let in'),
    })
    .optional()
    .describe('QR entry tokens signed by the cloud and verified on the hub (docs/protocol.md)'),
});

export const configSchema = z
  .strictObject({
    hub: z.strictObject({
      id: id.describe('This hub, unique in the chain'),
      storeId: id.describe('The store this hub serves'),
    }),
    dataDir: z
      .string()
      .min(1)
      .default('/var/lib/store-gateway')
      .describe('Outbox and state; relative to this file'),
    upstream,
    outbox: outbox.default({ maxEvents: 2_000_000, commitIntervalMs: 2 }),
    diagnostics: z
      .strictObject({
        listen: hostPort
          .default('127.0.0.1:8080')
          .describe(
            "host:port of the hub's local HTTP server (Prometheus metrics at /metrics); 0.0.0.0 opens it to the store LAN",
          ),
        accounts: z
          .array(
            z.strictObject({
              name: id.describe('What the technician types to sign in'),
              role: z.enum(['viewer', 'technician']).describe('viewer: reads; technician: also acts'),
              passwordHash: z
                .string()
                .regex(passwordHashPattern, 'a hash from `store-gateway hash-password`, never the password')
                .describe('From `store-gateway hash-password` (scrypt)'),
            }),
          )
          .default([])
          .superRefine((accounts, ctx) => {
            const names = accounts.map((a) => a.name);
            names.forEach((name, i) => {
              if (names.indexOf(name) !== i)
                ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate account "${name}"` });
            });
          })
          .describe('Who may sign in to the diagnostics page; none: nobody can'),
        sessionMinutes: z
          .number()
          .int()
          .min(5)
          .max(24 * 60)
          .default(480)
          .describe('A session unused this long ends (a shift by default)'),
      })
      .superRefine(({ listen, accounts }, ctx) => {
        if (onLoopback(listen)) return;
        accounts.forEach((account, i) => {
          if (demoPasswordHashes.has(account.passwordHash))
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', i, 'passwordHash'],
              message: `"${account.name}" is a demo account whose password is published; make a hash of your own with \`store-gateway hash-password\` before listening beyond loopback`,
            });
        });
      })
      .prefault({}),
    log: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
      .default({ level: 'info' }),
    devices: devices.default({ buses: [], gates: [], scanners: [], shelves: [], cameras: [] }),
    catalogue: z
      .strictObject({
        products: z.array(product).default([]),
        file: z
          .string()
          .min(1)
          .optional()
          .describe('A YAML or JSON file with more `products` (relative to this file); both lists are used'),
      })
      .default({ products: [] })
      .describe('The products on the shelves, with their unit weights'),
    credentials: credentials.prefault({}).describe('How entry credentials are checked'),
    hid: z
      .strictObject({
        driver: z
          .enum(['hidraw', 'libusb'])
          .default('hidraw')
          .describe(
            "node-hid's driver for every HID scanner: hidraw (needs libudev1), or libusb (needs libusb-1.0-0; detaches the kernel's keyboard driver, so a keyboard-mode scanner's codes stop reaching the console)",
          ),
      })
      .prefault({})
      .describe('USB HID scanners (docs/devices.md, USB HID scanners)'),
    cameraHealth: cameraHealth
      .prefault({})
      .describe('How camera probes are judged and how many run at once (docs/devices.md, Cameras)'),
    store: store
      .prefault({})
      .describe(
        "How the store's mode follows its devices: open, degraded or closed (docs/protocol.md, store.mode)",
      ),
    sim: sim.optional().describe('The simulated store; required when any device uses driver "sim"'),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, string>();
    const kinds = ['gates', 'scanners', 'shelves', 'cameras'] as const;
    for (const kind of [...kinds, 'buses'] as const) {
      c.devices[kind].forEach((d, i) => {
        const where = seen.get(d.id);
        if (where)
          ctx.addIssue({
            code: 'custom',
            path: ['devices', kind, i, 'id'],
            message: `duplicate device id "${d.id}" (also at ${where})`,
          });
        else seen.set(d.id, `devices.${kind}[${i}]`);
      });
    }
    c.devices.buses.forEach((b, i) => {
      b.boards.forEach((board, j) => {
        const where = seen.get(board.id);
        if (where)
          ctx.addIssue({
            code: 'custom',
            path: ['devices', 'buses', i, 'boards', j, 'id'],
            message: `duplicate device id "${board.id}" (also at ${where})`,
          });
        else seen.set(board.id, `devices.buses[${i}].boards[${j}]`);
      });
    });
    const gateIds = new Set(c.devices.gates.map((g) => g.id));
    c.devices.scanners.forEach((s, i) => {
      const at = (key: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: ['devices', 'scanners', i, key], message });
      if (!gateIds.has(s.gateId)) at('gateId', `no gate with id "${s.gateId}" in devices.gates`);
      if (s.driver === 'serial' && !s.path) at('path', 'required for a serial scanner');
      if (s.driver === 'serial' && s.kind === 'palm')
        at(
          'driver',
          'palm scanners connect through their vendor bridge: use driver "bridge" with its command',
        );
      if (s.driver === 'bridge' && s.kind !== 'palm') at('driver', 'a bridge is for palm scanners');
      if (s.driver === 'bridge' && !s.command) at('command', 'required for a bridge: the program to run');
      if (s.driver !== 'bridge' && (s.command || s.env))
        at(s.command ? 'command' : 'env', 'only for a bridge');
      if (s.driver !== 'serial' && (s.path || s.baudRate))
        at(s.path ? 'path' : 'baudRate', 'only for a serial scanner');
      if (s.driver === 'hid' && s.kind === 'palm')
        at('driver', 'palm scanners connect through their vendor bridge');
      if (s.driver !== 'hid' && s.match) at('match', 'only for a HID scanner');
      if (s.driver !== 'serial' && s.driver !== 'hid' && s.profile)
        at('profile', 'only for a serial or HID scanner');
    });
    c.devices.gates.forEach((g, i) => {
      const at = (key: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: ['devices', 'gates', i, key], message });
      if (g.driver === 'onoff') {
        for (const line of ['unlock', 'beamOuter', 'beamInner'] as const)
          if (g.lines?.[line] === undefined)
            at('lines', `"${line}" is required: the gate cannot work without it`);
        const numbers = Object.entries(g.lines ?? {});
        numbers.forEach(([name, n], j) => {
          const twin = numbers.findIndex(([, m]) => m === n);
          if (twin !== j) at('lines', `${name} and ${numbers[twin]?.[0]} are both on line ${n}`);
        });
      } else if (g.lines || g.gpio)
        at(g.lines ? 'lines' : 'gpio', 'only for a gate on real GPIO (driver "onoff")');
    });
    const cameraIds = new Set(c.devices.cameras.map((g) => g.id));
    c.devices.shelves.forEach((s, i) => {
      s.cameras.forEach((cam, j) => {
        if (!cameraIds.has(cam))
          ctx.addIssue({
            code: 'custom',
            path: ['devices', 'shelves', i, 'cameras', j],
            message: `no camera with id "${cam}" in devices.cameras`,
          });
      });
    });
    c.store.criticalDevices.forEach((deviceId, i) => {
      if (!seen.has(deviceId))
        ctx.addIssue({
          code: 'custom',
          path: ['store', 'criticalDevices', i],
          message: `no device "${deviceId}" in devices`,
        });
    });
    checkShelves(c, ctx);
    const usesSim = kinds.some((k) => c.devices[k].some((d) => d.driver === 'sim'));
    if (usesSim && !c.sim)
      ctx.addIssue({ code: 'custom', path: ['sim'], message: 'required when a device uses driver "sim"' });
  });

/** The configuration as written in the file (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration after validation, defaults applied; `upstream.token` is resolved by the loader. */
export type Config = z.output<typeof configSchema>;
export type GateConfig = z.output<typeof gateSchema>;
export type ScannerConfig = z.output<typeof scanner>;
export type ShelfConfig = z.output<typeof shelf>;
export type BusConfig = z.output<typeof bus>;
export type CameraConfig = z.output<typeof camera>;
export type SimConfig = z.output<typeof sim>;
export type UpstreamConfig = z.output<typeof upstream>;
