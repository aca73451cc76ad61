import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/main.js';
import { RecordingWriter, readRecordingFile } from '../../src/recording/file.js';

function cli() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

const hubConfig = (extra = '') => `hub: { id: hub-1, storeId: store-1 }
dataDir: data
upstream: { url: "ws://127.0.0.1:1/hub" }
devices:
  shelves:
    - id: shelf-1
      driver: sim
      plates: 2
      sampleRateHz: 50
      planogram: [{ sku: cola-330, plates: [0] }, { sku: water-500, plates: [1] }]
catalogue:
  products:
    - { sku: cola-330, name: Cola 330 ml can, grams: 355, spreadGrams: 3 }
    - { sku: water-500, name: Water 500 ml, grams: 538, spreadGrams: 5 }
sim: { seed: 1, faultEverySeconds: 0, shoppersEverySeconds: 0 }
${extra}`;

/** A 2-plate recording at 50 Hz: 4 s still, a can lifted off plate 0 (ringing), 3 s still. */
function canLifted(path: string) {
  const writer = new RecordingWriter(path, {
    shelfId: 'shelf-1',
    plates: 2,
    rateHz: 50,
    startedAt: '2026-11-24T07:00:00.000Z',
    calibration: [
      { slope: 1, offset: 0 },
      { slope: 1, offset: 0 },
    ],
  });
  const t0 = Date.UTC(2026, 10, 24, 7);
  let seed = 3;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed / 2_147_483_648 - 0.5) * 0.6;
  };
  for (let i = 0; i < 350; i++) {
    const ms = i * 20;
    const after = ms - 4000;
    const ring = after > 0 ? 30 * Math.exp(-after / 120) * Math.cos((2 * Math.PI * 4 * after) / 1000) : 0;
    writer.write(t0 + ms, 50, Float32Array.of((after > 0 ? 1065 + ring : 1420) + noise(), 2152 + noise()));
  }
  writer.close();
}

t.test('replay runs a recording through the shelf pipeline and names the can that was lifted', async (t) => {
  const dir = t.testdir({ 'hub.yaml': hubConfig(), token: 'x' });
  const recording = join(dir, 'shelf-1.csv');
  canLifted(recording);
  const env = { STORE_GATEWAY_UPSTREAM_TOKEN: 'x' };
  const plain = cli();
  t.equal(await main(['replay', recording, '--config', join(dir, 'hub.yaml')], env, plain.io), 0);
  t.match(
    plain.out[0],
    /^07:00:0\d\.\d{3} {2}shelf-1 {2}shelf\.pick {6}-35\d\.\d g {2}plates 0 {2}settled .*1 × Cola 330 ml can/,
  );
  t.equal(plain.out.at(-1), '1 event from 1 shelf recording(s)');
  const json = cli();
  t.equal(await main(['replay', recording, '--config', join(dir, 'hub.yaml'), '--json'], env, json.io), 0);
  t.match(JSON.parse(json.out[0] ?? '{}'), {
    kind: 'shelf.pick',
    data: { items: [{ sku: 'cola-330', qty: 1 }] },
  });
  const bare = cli();
  t.equal(await main(['replay', recording], env, bare.io), 0);
  t.match(
    bare.out[0],
    /shelf\.anomaly .*no product on or next to it/,
    'without a planogram nothing can be named',
  );
});

t.test('replay says clearly what it cannot read', async (t) => {
  const dir = t.testdir({ 'notes.txt': 'hello', empty: {}, 'hub.yaml': hubConfig() });
  const env = { STORE_GATEWAY_UPSTREAM_TOKEN: 'x' };
  let c = cli();
  t.equal(await main(['replay', join(dir, 'notes.txt')], env, c.io), 1);
  t.match(c.err[0], /notes\.txt:1: not a store-gateway recording/);
  c = cli();
  t.equal(await main(['replay', join(dir, 'empty')], env, c.io), 1);
  t.match(c.err[0], /not a recording file, nor an AIM3S or AiFi dataset folder/);
  c = cli();
  t.equal(await main(['replay'], env, c.io), 2);
  c = cli();
  canLifted(join(dir, 'r.csv'));
  t.equal(await main(['replay', join(dir, 'r.csv'), '--shelf', 'other'], env, c.io), 2);
  t.match(c.err[0], /no shelf "other"/);
  c = cli();
  t.equal(await main(['replay', join(dir, 'r.csv'), '--config', join(dir, 'missing.yaml')], env, c.io), 2);
  // A header is outside input too: a rate too low to detect changes at, or a calibration that
  // cannot be, is an error line and exit 1, not a stack trace.
  const good = readFileSync(join(dir, 'r.csv'), 'utf8');
  writeFileSync(join(dir, 'slow.csv'), good.replace('"rateHz":50', '"rateHz":1'));
  c = cli();
  t.equal(await main(['replay', join(dir, 'slow.csv')], env, c.io), 1);
  t.match(c.err[0], /^store-gateway replay: shelf-1: .*shorter than 3 samples at 1 Hz/);
  writeFileSync(join(dir, 'flat.csv'), good.replace('"slope":1', '"slope":0'));
  c = cli();
  t.equal(await main(['replay', join(dir, 'flat.csv')], env, c.io), 1);
  t.match(c.err[0], /flat\.csv:2: bad recording header .*slope 0 is not a finite, non-zero number/);
  c = cli();
  t.equal(await main(['replay', '--help'], env, c.io), 0);
  t.match(c.out[0], /^Usage: store-gateway replay PATH/);
  c = cli();
  t.equal(await main(['replay', '--bogus'], env, c.io), 2);
});

t.test('record saves a simulated shelf’s samples for the time asked, readable by replay', async (t) => {
  const dir = t.testdir({ 'hub.yaml': hubConfig() });
  // No upstream token anywhere: a technician recording a shelf need not be able to read the secret.
  const env = {};
  const out = join(dir, 'rec.csv');
  const c = cli();
  t.equal(
    await main(
      ['record', '--config', join(dir, 'hub.yaml'), '--shelf', 'shelf-1', '--seconds', '1', '--out', out],
      env,
      c.io,
    ),
    0,
  );
  t.match(c.out.at(-1), /^\d+ samples written to .*rec\.csv$/);
  const rec = readRecordingFile(out);
  t.equal(rec.header.shelfId, 'shelf-1');
  t.equal(rec.header.rateHz, 50);
  t.ok(rec.times.length >= 40 && rec.times.length <= 60, `about 50 samples in 1 s (${rec.times.length})`);
  t.ok(readFileSync(out, 'utf8').includes('t_ms,plate0,plate1'));
});

t.test('record refuses what it cannot do, with the reason', async (t) => {
  const dir = t.testdir({
    'hub.yaml': hubConfig(),
    'serial.yaml': `hub: { id: hub-1, storeId: store-1 }
dataDir: data
upstream: { url: "ws://127.0.0.1:1/hub" }
devices:
  buses: [{ id: b, port: ${'/nonexistent/ttyUSB9'}, profile: ascii-stream-grams-12ch, boards: [{ id: hx }] }]
  shelves: [{ id: s, driver: serial, wiring: [{ board: hx, channels: [0, 1] }] }]
`,
  });
  const env = { STORE_GATEWAY_UPSTREAM_TOKEN: 'x' };
  let c = cli();
  t.equal(await main(['record', '--config', join(dir, 'hub.yaml')], env, c.io), 2, 'no --shelf');
  c = cli();
  t.equal(await main(['record', '--config', join(dir, 'hub.yaml'), '--shelf', 'nope'], env, c.io), 2);
  t.match(c.err[0], /no shelf "nope"/);
  c = cli();
  t.equal(await main(['record', '--shelf', 'shelf-1'], {}, c.io), 2, 'no config');
  c = cli();
  t.equal(
    await main(
      ['record', '--config', join(dir, 'hub.yaml'), '--shelf', 'shelf-1', '--seconds', '3000000'],
      env,
      c.io,
    ),
    2,
    'more than a day',
  );
  t.match(c.err[0], /--seconds must be a positive number up to 86400/);
  c = cli();
  t.equal(
    await main(
      ['record', '--config', join(dir, 'serial.yaml'), '--shelf', 's', '--out', join(dir, 'x.csv')],
      env,
      c.io,
    ),
    1,
  );
  t.match(c.err[0], /no serial port at \/nonexistent\/ttyUSB9/);
  c = cli();
  t.equal(await main(['record', '--help'], env, c.io), 0);
  writeFileSync(join(dir, 'unused'), '');
});
