import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { configJsonSchema, configurationDoc } from '../../src/config/json-schema.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const root = join(import.meta.dirname, '..', '..');
const simulated = join(root, 'configs', 'simulated-store.yaml');
const example = join(root, 'configs', 'example-store.yaml');

const problemsOf = (file: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

const minimal = `hub: { id: hub-1, storeId: store-1 }
upstream: { url: "wss://cloud.example.com/hub", tokenFile: token }
`;

t.test('the shipped configurations are valid', async (t) => {
  const sim = loadConfig(simulated, {});
  t.equal(sim.hub.id, 'hub-sim-01');
  t.equal(
    sim.upstream.token.reveal(),
    'dev-only-token-not-a-secret',
    'the token comes from tokenFile, relative to the config',
  );
  t.equal(sim.dataDir, join(root, '.data', 'hub'), 'dataDir is relative to the config file');
  t.ok(sim.devices.shelves.length > 0 && sim.devices.cameras.length > 0);
  const real = loadConfig(example, { STORE_GATEWAY_UPSTREAM_TOKEN: 'abc' });
  t.match(real.upstream.url, /^wss:\/\//, 'the example hub talks to its cloud over TLS');
});

t.test('the JSON Schema in configs/ is the one the code generates', async (t) => {
  t.equal(
    readFileSync(join(root, 'configs', 'store-gateway.schema.json'), 'utf8'),
    configJsonSchema(),
    'run npm run schema',
  );
  const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  t.equal(doc, configurationDoc(doc), 'docs/configuration.md lists every key; run npm run schema');
  t.match(doc, /\| `upstream\.tokenFile` \| string \|/);
  t.match(doc, /\| `devices\.shelves\[\]\.plates` \| integer 1\.\.64 \|\s+\| Plates of a simulated shelf/);
});

t.test('environment overrides win over the file', async (t) => {
  const c = loadConfig(simulated, {
    STORE_GATEWAY_DATA_DIR: '/tmp/hub-data',
    STORE_GATEWAY_UPSTREAM_URL: 'wss://cloud.example.com/v1',
    STORE_GATEWAY_UPSTREAM_TOKEN: 'from-env',
    STORE_GATEWAY_DIAGNOSTICS_LISTEN: '127.0.0.2:9090',
  });
  t.equal(c.dataDir, '/tmp/hub-data');
  t.equal(c.upstream.url, 'wss://cloud.example.com/v1');
  t.equal(c.upstream.token.reveal(), 'from-env', 'the environment token wins over tokenFile');
  t.equal(c.diagnostics.listen, '127.0.0.2:9090');
  t.same(
    problemsOf(simulated, { STORE_GATEWAY_UPSTREAM_URL: 'http://cloud' }),
    ['upstream.url (from STORE_GATEWAY_UPSTREAM_URL): a ws:// or wss:// URL'],
    'a bad override is named by its variable',
  );
  t.same(
    problemsOf(simulated, { STORE_GATEWAY_UPSTREAM_URL: 'wss://cloud.example.com/hub#v1' }),
    [
      'upstream.url (from STORE_GATEWAY_UPSTREAM_URL): a URL without a #fragment (WebSocket URLs cannot have one)',
    ],
    'a URL the WebSocket client would refuse at start is refused by the check',
  );
});

t.test('the token never shows when the config is printed, logged or serialised', async (t) => {
  const c = loadConfig(simulated, { STORE_GATEWAY_UPSTREAM_TOKEN: 'super-secret-value' });
  t.notMatch(JSON.stringify(c), /super-secret-value/);
  t.notMatch(inspect(c, { depth: 10 }), /super-secret-value/);
  t.notMatch(String(c.upstream.token), /super-secret-value/);
});

t.test('every problem is reported on its own line naming the key path', async (t) => {
  const dir = t.testdir({
    token: 'abc\n',
    'bad.yaml': `hub:
  id: hub-1
  storeId: 3
  colour: red
upstream:
  url: "wss://cloud.example.com/hub"
  tokenFile: token
  maxInFlight: lots
devices:
  shelves:
    - { id: s1, driver: sim, plates: 0 }
sim: {}
`,
  });
  const problems = problemsOf(join(dir, 'bad.yaml'));
  t.same(problems.sort(), [
    'devices.shelves[0].plates: Too small: expected number to be >=1',
    'hub.colour: unknown key',
    'hub.storeId: Invalid input: expected string, received number',
    'upstream.maxInFlight: Invalid input: expected number, received string',
  ]);
});

t.test('references between devices are checked', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'refs.yaml': `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-swing }]
  scanners: [{ id: s1, kind: qr, gateId: g2, driver: sim }, { id: g1, kind: qr, gateId: g1, driver: sim }]
  shelves: [{ id: sh1, driver: sim, cameras: [cam9] }]
`,
  });
  t.same(problemsOf(join(dir, 'refs.yaml')).sort(), [
    'devices.scanners[0].gateId: no gate with id "g2" in devices.gates',
    'devices.scanners[1].id: duplicate device id "g1" (also at devices.gates[0])',
    'devices.shelves[0].cameras[0]: no camera with id "cam9" in devices.cameras',
    'sim: required when a device uses driver "sim"',
  ]);
});

t.test('a token written in the config file is refused, and its value is not repeated', async (t) => {
  const dir = t.testdir({
    'inline.yaml': 'hub: { id: h, storeId: s }\nupstream: { url: "ws://x", token: hunter2 }\n',
  });
  const problems = problemsOf(join(dir, 'inline.yaml'));
  t.match(problems[0], /^upstream\.token: secrets are not read from the config file/);
  t.notMatch(problems.join('\n'), /hunter2/);
});

t.test('missing, unreadable and malformed files get one clear line', async (t) => {
  const dir = t.testdir({
    'broken.yaml': 'hub:\n  id: [unclosed\n',
    'list.yaml': '- just\n- a list\n',
    'dupe.yaml': 'hub: {id: a, storeId: b}\nhub: {id: c, storeId: d}\n',
    'notoken.yaml': 'hub: { id: h, storeId: s }\nupstream: { url: "ws://x" }\n',
    'badtoken.yaml': 'hub: { id: h, storeId: s }\nupstream: { url: "ws://x", tokenFile: t }\n',
    t: 'has spaces in it\n',
    'missingtoken.yaml': 'hub: { id: h, storeId: s }\nupstream: { url: "ws://x", tokenFile: nothere }\n',
  });
  t.match(problemsOf(join(dir, 'nope.yaml')), [/nope\.yaml: cannot read the file \(ENOENT\)/]);
  t.match(problemsOf(join(dir, 'broken.yaml')), [/broken\.yaml:\d+:\d+: not valid YAML/]);
  t.match(problemsOf(join(dir, 'list.yaml')), [/expected a mapping of keys at the top level/]);
  t.match(problemsOf(join(dir, 'dupe.yaml')), [/not valid YAML: Map keys must be unique/]);
  t.same(problemsOf(join(dir, 'notoken.yaml')), [
    'upstream: no token; set upstream.tokenFile or STORE_GATEWAY_UPSTREAM_TOKEN',
  ]);
  t.same(problemsOf(join(dir, 'badtoken.yaml')), [
    'upstream.tokenFile: the token must be printable ASCII without spaces',
  ]);
  t.match(problemsOf(join(dir, 'missingtoken.yaml')), [
    /upstream\.tokenFile: cannot read .*nothere \(ENOENT\)/,
  ]);
  t.same(problemsOf(join(dir, 'notoken.yaml'), { STORE_GATEWAY_UPSTREAM_TOKEN: 'x'.repeat(9000) }), [
    'STORE_GATEWAY_UPSTREAM_TOKEN: the token is longer than 8192 characters',
  ]);
  writeFileSync(join(dir, 'empty.yaml'), '');
  t.ok(
    problemsOf(join(dir, 'empty.yaml')).includes('hub: Invalid input: expected object, received undefined'),
  );
});

t.test('shelves are wired to boards that exist, each channel to one plate', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'shelves.yaml': `${minimal}devices:
  buses:
    - id: rs485-a
      port: /dev/serial/by-id/usb-FTDI-if00
      profile: modbus-4ch-int32
      boards: [{ id: lc-1, address: 1 }, { id: lc-2, address: 1 }, { id: rs485-a, address: 3 }]
  shelves:
    - id: sh1
      driver: serial
      plates: 4
      sampleRateHz: 60
      wiring: [{ board: lc-1, channels: [0, 1] }, { board: lc-9, channels: [0] }]
      planogram: [{ sku: cola, plates: [1, 3] }]
    - id: sh2
      driver: serial
      wiring: [{ board: lc-1, channels: [1] }]
    - id: sh3
      driver: serial
    - { id: sh4, driver: sim, wiring: [{ board: lc-2, channels: [0] }] }
sim: { seed: 1 }
catalogue:
  products: [{ sku: cola, grams: 355 }]
`,
    'skus.yaml': `${minimal}devices:
  shelves: [{ id: sh1, driver: sim, planogram: [{ sku: water, plates: [0] }] }]
sim: { seed: 1 }
catalogue:
  products: [{ sku: cola, grams: 355 }, { sku: cola, grams: 330 }]
`,
  });
  t.same(problemsOf(join(dir, 'shelves.yaml')).sort(), [
    'devices.buses[0].boards[1].address: address 1 is used twice on rs485-a',
    'devices.buses[0].boards[2].id: duplicate device id "rs485-a" (also at devices.buses[0])',
    'devices.shelves[0].planogram[0].plates[1]: sh1 has plates 0-2',
    'devices.shelves[0].plates: a serial shelf has one plate per wired channel; remove this key',
    "devices.shelves[0].sampleRateHz: a serial shelf takes its boards' rate; remove this key",
    'devices.shelves[0].wiring[1].board: no board "lc-9" in devices.buses',
    'devices.shelves[1].wiring[0].channels[0]: channel 1 of lc-1 is already a plate of sh1',
    'devices.shelves[2].wiring: required for driver "serial"',
    'devices.shelves[3].wiring: only for driver "serial"',
  ]);
  t.same(problemsOf(join(dir, 'skus.yaml')), [
    'catalogue: sku "cola" is listed twice',
    'devices.shelves[0].planogram[0].sku: no product "water" in the catalogue',
  ]);
});

t.test('the catalogue can live in its own file beside the config', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'products.yaml': 'products:\n  - { sku: cola, name: Cola 330 ml, grams: 355, spreadGrams: 4 }\n',
    'bad-products.yaml': 'products:\n  - { sku: tea, grams: -3 }\n',
    'good.yaml': `${minimal}catalogue: { file: products.yaml, products: [{ sku: water, grams: 538 }] }\n`,
    'bad.yaml': `${minimal}catalogue: { file: bad-products.yaml }\n`,
    'missing.yaml': `${minimal}catalogue: { file: nowhere.yaml }\n`,
  });
  const c = loadConfig(join(dir, 'good.yaml'), {});
  t.same(
    c.catalogue.products.map((p) => p.sku),
    ['water', 'cola'],
  );
  t.match(problemsOf(join(dir, 'bad.yaml')), [
    /^catalogue\.file: .*bad-products\.yaml: products\[0\]\.grams: /,
  ]);
  t.match(problemsOf(join(dir, 'missing.yaml')), [
    /^catalogue\.file: cannot read .*nowhere\.yaml \(ENOENT\)$/,
  ]);
});

t.test('board models come from devices/ and are checked against the wiring', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'my-board.yaml': 'protocol: ascii-stream\nmodel: x\n',
    'hub.yaml': `${minimal}devices:
  buses:
    - id: rs485-a
      port: /dev/ttyUSB0
      profile: modbus-4ch-int32
      boards: [{ id: lc-1, address: 1 }, { id: lc-2, sampleRateHz: 50 }]
    - id: hx-a
      port: /dev/ttyUSB1
      profile: ascii-stream-grams-12ch
      boards: [{ id: hx-1, address: 4 }, { id: hx-2 }]
    - { id: mine, port: /dev/ttyUSB2, profile: ./my-board.yaml, boards: [{ id: b-1 }] }
    - { id: nowhere, port: /dev/ttyUSB3, profile: no-such-board, boards: [{ id: b-2 }] }
    - id: mixed
      port: /dev/ttyUSB4
      profile: mt-sics-generic
      boards: [{ id: scale-1 }, { id: lc-9, address: 2, profile: modbus-4ch-int32 }]
  shelves:
    - { id: sh1, driver: serial, wiring: [{ board: lc-1, channels: [0, 3, 4] }, { board: scale-1, channels: [1] }] }
`,
  });
  const problems = problemsOf(join(dir, 'hub.yaml')).join('\n').split('\n');
  for (const expected of [
    /^devices\.buses\[0\]\.boards\[1\]\.address: required on a Modbus bus$/,
    /^devices\.buses\[0\]\.boards\[1\]\.sampleRateHz: a Modbus module is polled as fast as the bus allows/,
    /^devices\.buses\[1\]\.boards: a ascii-stream port has exactly one board, not 2$/,
    /^devices\.buses\[1\]\.boards\[0\]\.address: only for Modbus boards \(this is ascii-stream\)$/,
    /^devices\.buses\[2\]\.profile: .*my-board\.yaml: /,
    /^devices\.buses\[3\]\.profile: cannot read .*devices\/no-such-board\.yaml \(ENOENT\)$/,
    /^devices\.buses\[4\]\.boards: boards of one port must speak one protocol$/,
    /^devices\.shelves\[0\]\.wiring\[0\]\.channels\[2\]: lc-1 has channels 0-3, not 4$/,
    /^devices\.shelves\[0\]\.wiring\[1\]\.channels\[0\]: scale-1 has channels 0-0, not 1$/,
  ])
    t.ok(
      problems.some((p) => expected.test(p)),
      `reported: ${expected}`,
    );
  t.equal(problems.length, 14, `nothing else is reported:\n${problems.join('\n')}`);
});

t.test(
  'a shelf whose boards cannot deliver 10 samples a second is refused, with what to change',
  async (t) => {
    const dir = t.testdir({
      token: 'abc',
      'hub.yaml': `${minimal}devices:
  buses:
    - id: rs485-a
      port: /dev/ttyUSB0
      profile: modbus-4ch-int32
      boards: [{ id: lc-1, address: 1 }, { id: lc-2, address: 2 }, { id: lc-3, address: 3 }]
    - { id: hx-a, port: /dev/ttyUSB1, profile: ascii-stream-grams-12ch, boards: [{ id: hx-1, sampleRateHz: 5 }] }
  shelves:
    - { id: sh1, driver: serial, wiring: [{ board: lc-1, channels: [0, 1, 2, 3] }] }
    - { id: sh2, driver: serial, wiring: [{ board: hx-1, channels: [0, 1] }] }
    - { id: sh3, driver: sim, sampleRateHz: 5 }
sim: { seed: 1 }
`,
    });
    t.same(problemsOf(join(dir, 'hub.yaml')), [
      'devices.shelves[2].sampleRateHz: Too small: expected number to be >=10',
    ]);
    // Once the sim shelf is fixed, the serial ones are checked against their boards.
    writeFileSync(
      join(dir, 'hub.yaml'),
      readFileSync(join(dir, 'hub.yaml'), 'utf8').replace('sampleRateHz: 5 }\n', '}\n'),
    );
    t.same(problemsOf(join(dir, 'hub.yaml')), [
      "devices.shelves[0].wiring: board lc-1 gives about 6.9 samples/s, and shelf sh1 needs 10 at least (raise rs485-a's baudRate, or put fewer modules on it)",
      'devices.shelves[1].wiring: board hx-1 gives about 5.0 samples/s, and shelf sh2 needs 10 at least (raise its sampleRateHz)',
    ]);
  },
);

t.test('QR token keys are checked: their shape, and one key per key id', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'hub.yaml': `${minimal}credentials:
  qr:
    keys:
      - { kid: k1, x: Vlo2ylpvRrVoYtP-yFVYMscrQB2Dc5WupCFx9OefruQ }
      - { kid: k1, x: Vlo2ylpvRrVoYtP-yFVYMscrQB2Dc5WupCFx9OefruQ }
      - { kid: k2, x: "-----BEGIN PUBLIC KEY-----" }
    clockSkewSeconds: 3600
`,
  });
  t.same(problemsOf(join(dir, 'hub.yaml')), [
    'credentials.qr.keys[2].x: an Ed25519 public key: its 32 bytes in base64url (the "x" of its JWK)',
    'credentials.qr.keys[1].kid: duplicate key id "k1"',
    'credentials.qr.clockSkewSeconds: Too big: expected number to be <=600',
  ]);
});

t.test('the example hub wires real shelves to every supported kind of board', async (t) => {
  const c = loadConfig(example, { STORE_GATEWAY_UPSTREAM_TOKEN: 'abc' });
  const protocols = new Set([...c.boardProfiles.values()].map((p) => p.protocol));
  t.same([...protocols].sort(), ['ascii-stream', 'modbus-rtu', 'mt-sics']);
  t.ok(c.devices.shelves.some((s) => s.driver === 'serial' && s.planogram.length > 0));
});

t.test('gates and scanners are checked against their models and their wiring', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'gates.yaml': `${minimal}devices:
  gates:
    - { id: g1, role: entry, driver: onoff, profile: gate-turnstile, lines: { unlock: 17, beamOuter: 17 } }
    - { id: g2, role: exit, driver: sim, profile: gate-revolving }
    - { id: g3, role: exit, driver: sim, profile: gate-swing, lines: { unlock: 4 } }
  scanners:
    - { id: s1, kind: qr, gateId: g1, driver: serial }
    - { id: s2, kind: palm, gateId: g1, driver: serial, path: /dev/ttyACM1 }
    - { id: s3, kind: qr, gateId: g1, driver: sim, path: /dev/ttyACM2 }
    - { id: s4, kind: qr, gateId: g1, driver: serial, path: /dev/ttyACM3, profile: no-such-scanner }
credentials: { cloudTimeoutMs: 5000 }
sim: {}
`,
  });
  const problems = problemsOf(join(dir, 'gates.yaml'));
  t.same(problems.filter((p) => !p.includes('profile')).sort(), [
    'devices.gates[0].lines: "beamInner" is required: the gate cannot work without it',
    'devices.gates[0].lines: beamOuter and unlock are both on line 17',
    'devices.gates[2].lines: only for a gate on real GPIO (driver "onoff")',
    'devices.scanners[0].path: required for a serial scanner',
    'devices.scanners[1].driver: palm scanners connect through their vendor bridge: use driver "bridge" with its command',
    'devices.scanners[2].path: only for a serial scanner',
  ]);
  const valid = t.testdir({
    token: 'abc',
    'slow.yaml': `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-turnstile }, { id: g2, role: exit, driver: sim, profile: nowhere/gate.yaml }]
  scanners: [{ id: s4, kind: qr, gateId: g1, driver: serial, path: /dev/ttyACM3, profile: no-such-scanner }]
credentials: { cloudTimeoutMs: 5000 }
sim: {}
`,
  });
  const later = problemsOf(join(valid, 'slow.yaml'));
  t.match(later, [
    /^credentials\.cloudTimeoutMs: 5000 ms is not shorter than g1's authoriseTimeoutMs \(4000 ms\)/,
    /^devices\.gates\[1\]\.profile: cannot read .*nowhere\/gate\.yaml \(ENOENT\)/,
    /^devices\.scanners\[0\]\.profile: cannot read .*no-such-scanner\.yaml \(ENOENT\)/,
  ]);
});

t.test('a real gate gets its model with only the lines it wires', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'wired.yaml': `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: onoff, profile: gate-door, lines: { unlock: 17, beamOuter: 5, beamInner: 6, fireAlarm: 13 } }]
`,
  });
  const config = loadConfig(join(dir, 'wired.yaml'), {});
  const profile = config.gateProfiles.get('g1');
  t.same(Object.keys(profile?.outputs ?? {}), ['unlock'], 'no lights or buzzer wired');
  t.same(Object.keys(profile?.inputs ?? {}).sort(), ['beamInner', 'beamOuter', 'fireAlarm']);
  t.equal(profile?.timing.relockDelayMs, 1500, "the rest is the model's");
});

t.test('a palm scanner behind its vendor bridge: a command for palms only', async (t) => {
  const dir = t.testdir({
    token: 'abc',
    'palm.yaml': `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-swing }]
  scanners:
    - { id: p1, kind: palm, gateId: g1, driver: bridge, command: [/opt/vendor/palm-bridge, --port, auto], env: { VENDOR_LICENSE: /etc/vendor.lic } }
    - { id: p2, kind: palm, gateId: g1, driver: bridge }
    - { id: q1, kind: qr, gateId: g1, driver: bridge, command: [x] }
    - { id: q2, kind: qr, gateId: g1, driver: sim, command: [x] }
sim: {}
`,
    'env.yaml': `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-swing }]
  scanners: [{ id: p3, kind: palm, gateId: g1, driver: bridge, command: [x], env: { 'bad name': y } }]
sim: {}
`,
  });
  t.same(problemsOf(join(dir, 'palm.yaml')).sort(), [
    'devices.scanners[1].command: required for a bridge: the program to run',
    'devices.scanners[2].driver: a bridge is for palm scanners',
    'devices.scanners[3].command: only for a bridge',
  ]);
  t.same(problemsOf(join(dir, 'env.yaml')), [
    'devices.scanners[0].env: environment variable names: capitals, digits and _',
  ]);
});

t.test(
  'cameras: each driver needs its kind of URL, and a password in a URL never shows in a problem',
  async (t) => {
    const dir = t.testdir({
      token: 'abc',
      'cameras.yaml': `${minimal}devices:
  cameras:
    - { id: c1, driver: rtsp, url: "rtsp://admin:Hunter2-secret@10.0.0.21:554/Streaming/Channels/102" }
    - { id: c2, driver: rtsp }
    - { id: c3, driver: rtsp, url: "http://admin:Hunter2-secret@10.0.0.22/snapshot.jpg" }
    - { id: c4, driver: http, url: "not a url at all Hunter2-secret" }
    - { id: c5, driver: tcp, url: "tcp://10.0.0.23" }
    - { id: c6, driver: sim, url: "rtsp://10.0.0.24/1" }
    - { id: c7, driver: rtsp, url: "rtsp://10.0.0.25/1", playMs: 6000, timeoutMs: 5000 }
    - { id: c8, driver: http, url: "https://10.0.0.26/cgi-bin/snapshot.cgi", intervalSeconds: 30 }
    - { id: c9, driver: rtsp, url: "rtsp:/admin:Hunter2-secret@10.0.0.27/s" }
sim: {}
cameraHealth: { concurrentProbes: 0 }
`,
    });
    const problems = problemsOf(join(dir, 'cameras.yaml'));
    t.same(problems.sort(), [
      'cameraHealth.concurrentProbes: Too small: expected number to be >=1',
      'devices.cameras[1].url: required for an rtsp camera',
      'devices.cameras[2].url: an rtsp camera needs a rtsp:// URL',
      'devices.cameras[3].url: not a URL (not repeated here: it may hold a password)',
      'devices.cameras[4].url: camera URL tcp://10.0.0.23 needs a port (tcp://host:port)',
      'devices.cameras[5].url: not for a simulated camera',
      'devices.cameras[6].playMs: must be at least 1000 ms shorter than timeoutMs: connecting and asking for the stream take time too',
      'devices.cameras[8].url: camera URL rtsp:/***@10.0.0.27/s has no host',
    ]);
    t.notOk(
      problems.some((p) => p.includes('Hunter2')),
      'no password, whether the URL parses or not',
    );
  },
);

t.test('HID scanners: a model or a match must name the USB device, and match is for HID alone', async (t) => {
  const scanners = (list: string) => `${minimal}devices:
  gates: [{ id: g1, role: entry, driver: sim, profile: gate-swing }]
  scanners:
${list}
hid: { driver: libusb }
sim: {}
`;
  const dir = t.testdir({
    token: 'abc',
    'shape.yaml':
      scanners(`    - { id: s1, kind: palm, gateId: g1, driver: hid, match: { path: /dev/hidraw0 } }
    - { id: s2, kind: qr, gateId: g1, driver: serial, path: /dev/ttyACM0, match: { vendorId: 1 } }
    - { id: s3, kind: qr, gateId: g1, driver: sim, profile: hid-pos-newland-fm420 }`),
    'models.yaml':
      scanners(`    - { id: s1, kind: qr, gateId: g1, driver: hid, profile: hid-pos-newland-fm420 }
    - { id: s2, kind: qr, gateId: g1, driver: hid }
    - { id: s3, kind: qr, gateId: g1, driver: hid, match: { vendorId: 0x0c2e, productId: 0x0b61 } }
    - { id: s4, kind: qr, gateId: g1, driver: hid, profile: hid-no-such-model, match: { vendorId: 1 } }`),
  });
  t.same(problemsOf(join(dir, 'shape.yaml')).sort(), [
    'devices.scanners[0].driver: palm scanners connect through their vendor bridge',
    'devices.scanners[1].match: only for a HID scanner',
    'devices.scanners[2].profile: only for a serial or HID scanner',
  ]);
  const models = problemsOf(join(dir, 'models.yaml')).map((p) => p.split('\n')[0]);
  t.equal(models.length, 2, models.join('\n'));
  t.equal(
    models[0],
    'devices.scanners[1].match: the model USB keyboard-mode scanner (generic) names no USB device; give vendorId and productId (or serialNumber, or path)',
    'a generic model needs the ids from the configuration',
  );
  t.match(models[1], /^devices\.scanners\[3\]\.profile: .*hid-no-such-model/);
});

t.test('diagnostics accounts: a hash, never a password, and one account per name', async (t) => {
  const hash = `scrypt$32768$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;
  const dir = t.testdir({
    token: 'abc',
    'accounts.yaml': `${minimal}diagnostics:
  accounts:
    - { name: anna, role: technician, passwordHash: "${hash}" }
    - { name: dora, role: viewer, passwordHash: "${hash}" }
    - { name: bob, role: viewer, passwordHash: "Summer2026!" }
    - { name: carl, role: admin, passwordHash: "${hash}" }
`,
    'twice.yaml': `${minimal}diagnostics:
  accounts:
    - { name: anna, role: technician, passwordHash: "${hash}" }
    - { name: anna, role: viewer, passwordHash: "${hash}" }
`,
  });
  const problems = problemsOf(join(dir, 'accounts.yaml'));
  t.same(problemsOf(join(dir, 'twice.yaml')), ['diagnostics.accounts[1].name: duplicate account "anna"']);
  t.same(problems.sort(), [
    'diagnostics.accounts[2].passwordHash: a hash from `store-gateway hash-password`, never the password',
    'diagnostics.accounts[3].role: Invalid option: expected one of "viewer"|"technician"',
  ]);
  t.notMatch(problems.join('\n'), /Summer2026/, 'the password written by mistake is not repeated');
});

t.test('the demo accounts, whose passwords are published, are refused off loopback', async (t) => {
  const simulated = readFileSync(join(root, 'configs', 'simulated-store.yaml'), 'utf8');
  const [technician, viewer] = [...simulated.matchAll(/passwordHash: "([^"]+)"/g)].map((m) => m[1] as string);
  t.ok(technician && viewer, 'the simulated store has its two demo accounts');
  const accounts = `  accounts:
    - { name: tech, role: technician, passwordHash: "${technician}" }
    - { name: look, role: viewer, passwordHash: "${viewer}" }
`;
  const dir = t.testdir({
    token: 'abc',
    'lan.yaml': `${minimal}diagnostics:\n  listen: 0.0.0.0:8080\n${accounts}`,
    'loopback.yaml': `${minimal}diagnostics:\n  listen: 127.0.0.1:8080\n${accounts}`,
    'ipv6-loopback.yaml': `${minimal}diagnostics:\n  listen: "[::1]:8080"\n${accounts}`,
  });
  t.same(problemsOf(join(dir, 'lan.yaml')), [
    'diagnostics.accounts[0].passwordHash: "tech" is a demo account whose password is published; make a hash of your own with `store-gateway hash-password` before listening beyond loopback',
    'diagnostics.accounts[1].passwordHash: "look" is a demo account whose password is published; make a hash of your own with `store-gateway hash-password` before listening beyond loopback',
  ]);
  t.same(problemsOf(join(dir, 'loopback.yaml')), [], 'on loopback, as the demo runs, they are fine');
  t.same(problemsOf(join(dir, 'ipv6-loopback.yaml')), []);
  t.same(loadConfig(join(root, 'configs', 'simulated-store.yaml'), {}).diagnostics.accounts.length, 2);
  t.throws(
    () =>
      loadConfig(join(root, 'configs', 'simulated-store.yaml'), {
        STORE_GATEWAY_DIAGNOSTICS_LISTEN: '0.0.0.0:8080',
      }),
    ConfigError,
    'the simulated store opened to the LAN by the environment is refused too',
  );
});
