// End to end for shelves: the real daemon, a board streaming ascii-stream v1 over a real pseudo-terminal
// pair in real time, and the reference upstream as the cloud. What a store is judged by: the pick that
// arrives upstream names the right item, garbage on the line makes no event, and a pulled adapter is
// reported and comes back by itself.
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { silentLogger } from '../../src/system/log.js';
import { Secret } from '../../src/system/secret.js';
import { startUpstream, type Upstream } from '../../src/upstream/server.js';
import { startDaemon, until } from '../helpers/daemon.js';
import { startPtyPair } from '../helpers/pty.js';

const hubId = 'hub-shelf-e2e';

/** A 3-plate board streaming grams at 50 lines a second. */
const profile = `protocol: ascii-stream
model: test board
description: three plates in grams
channels: 3
unit: grams
range: { min: -1000, max: 30000 }
sampleRateHz: 50
serial: { baudRate: 115200 }
`;

function storeConfig(dir: string, port: string, upstreamUrl: string): string {
  writeFileSync(join(dir, 'token'), 'e2e-token\n');
  writeFileSync(join(dir, 'board.yaml'), profile);
  const file = join(dir, 'store.yaml');
  writeFileSync(
    file,
    `hub: { id: ${hubId}, storeId: store-e2e }
dataDir: hub-data
upstream: { url: ${upstreamUrl}, tokenFile: token, reconnectMinMs: 50, reconnectMaxMs: 400 }
log: { level: warn }
devices:
  buses:
    - { id: hx-bus, port: ${port}, profile: ./board.yaml, boards: [{ id: hx-1 }] }
  shelves:
    - id: shelf-1
      driver: serial
      wiring: [{ board: hx-1, channels: [0, 1, 2] }]
      planogram:
        - { sku: cola-330, plates: [0] }
        - { sku: water-500, plates: [1, 2] }
catalogue:
  products:
    - { sku: cola-330, name: Cola 330 ml can, grams: 355, spreadGrams: 3 }
    - { sku: water-500, name: Water 500 ml, grams: 538, spreadGrams: 5 }
`,
  );
  return file;
}

/** Plays the board: lines at 50 Hz with a little noise; `load` says each plate's grams at time t (ms). */
function streamBoard(
  path: string,
  load: (ms: number) => [number, number, number],
  extra: (n: number) => string,
) {
  const fd = openSync(path, 'w');
  let seq = 4_294_967_000; // near the 2^32 wrap, which the stream must survive
  let n = 0;
  let seed = 7;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (seed / 2_147_483_648 - 0.5) * 0.8;
  };
  const started = Date.now();
  const timer = setInterval(() => {
    // Catch up to real time: a line per 20 ms, whatever the timer's jitter.
    const due = Math.floor((Date.now() - started) / 20);
    let text = '';
    for (; n < due; n++) {
      const grams = load(n * 20).map((g) => (g + noise()).toFixed(1));
      text += `${extra(n)}${seq >>> 0},${grams.join(',')}\r\n`;
      seq++;
    }
    try {
      writeSync(fd, text);
    } catch {
      // The pty went away (the adapter was "unplugged"); the test restarts it.
    }
  }, 20);
  let open = true;
  return {
    stop: () => {
      clearInterval(timer);
      if (open) closeSync(fd);
      open = false;
    },
  };
}

async function cloud(dir: string): Promise<Upstream> {
  return startUpstream({
    port: 0,
    tokens: [new Secret('e2e-token')],
    dbPath: join(dir, 'cloud.db'),
    log: silentLogger(),
  });
}

t.test(
  'a can lifted off a streaming board arrives upstream as a pick of that can, and nothing else does',
  async (t) => {
    const dir = t.testdir();
    const pty = await startPtyPair(t);
    const upstream = await cloud(dir);
    t.teardown(() => upstream.close());
    const config = storeConfig(dir, pty.hubPath, `ws://127.0.0.1:${upstream.port}/hub`);
    // 1.5 kg of cans on plate 0 and water across plates 1-2; 2 s after the shelf is online (the daemon
    // may take a while to start on a busy machine) a can is lifted and rings as it settles.
    let liftAt = Number.POSITIVE_INFINITY;
    const streamStarted = Date.now();
    const board = streamBoard(
      pty.devicePath,
      (ms) => {
        const after = ms - liftAt;
        const ring = after > 0 ? 40 * Math.exp(-after / 120) * Math.cos((2 * Math.PI * 4 * after) / 1000) : 0;
        const cans = after > 0 ? 1420 - 355 + ring : 1420;
        return [cans, 810.4, 1270.2];
      },
      // Now and then the line picks up garbage, a truncated line or a board message.
      (n) =>
        n % 97 === 13
          ? 'x#1,?\n'
          : n % 89 === 7
            ? '#board: temperature 31.2 C\n'
            : n % 83 === 5
              ? '12,5\n'
              : '',
    );
    t.teardown(() => board.stop());
    const daemon = startDaemon(['run', '--config', config]);
    t.teardown(() => daemon.child.kill('SIGKILL'));
    const shelfEvents = () => upstream.events(hubId, 0, 10_000).filter((e) => e.kind.startsWith('shelf.'));
    await until(
      () =>
        upstream
          .events(hubId, 0, 10_000)
          .some(
            (e) => e.kind === 'device.status' && e.data.deviceId === 'shelf-1' && e.data.status === 'online',
          ),
      30_000,
      `the shelf online (daemon said: ${daemon.output()})`,
    );
    liftAt = Date.now() - streamStarted + 2000;
    await until(() => shelfEvents().length > 0, 30_000, `a shelf event (daemon said: ${daemon.output()})`);
    // Let the rest of the stream go by: anything else would be a phantom.
    await new Promise((r) => setTimeout(r, 2500));
    const events = shelfEvents();
    t.equal(events.length, 1, 'one event for one can');
    t.match(events[0], {
      kind: 'shelf.pick',
      data: { shelfId: 'shelf-1', plates: [0], items: [{ sku: 'cola-330', qty: 1 }], coverage: 'none' },
    });
    const data = events[0]?.data as {
      deltaGrams: number;
      confidence: number;
      settledAt: string;
      startedAt: string;
    };
    t.ok(Math.abs(data.deltaGrams + 355) < 3, `the change is -355 g (${data.deltaGrams})`);
    t.ok(data.confidence > 0.8, 'named with confidence');
    const statuses = upstream.events(hubId, 0, 10_000).filter((e) => e.kind === 'device.status');
    t.match(statuses.at(-1), { data: { deviceId: 'shelf-1', status: 'online' } });

    // The adapter is pulled: the shelf goes offline with the reason, and comes back when it returns.
    await pty.stop();
    await until(
      () =>
        upstream
          .events(hubId, 0, 10_000)
          .some((e) => e.kind === 'device.status' && e.data.status === 'offline'),
      20_000,
      'the shelf reported offline',
    );
    const offline = upstream
      .events(hubId, 0, 10_000)
      .filter((e) => e.data.status === 'offline')
      .at(-1);
    t.match(offline?.data, { deviceId: 'shelf-1', reason: /hx-bus/ });
    board.stop();
    await pty.restart();
    const again = streamBoard(
      pty.devicePath,
      () => [1065, 810.4, 1270.2],
      () => '',
    );
    t.teardown(() => again.stop());
    const before = upstream.events(hubId, 0, 10_000).length;
    await until(
      () =>
        upstream
          .events(hubId, before, 10_000)
          .some(
            (e) => e.kind === 'device.status' && e.data.deviceId === 'shelf-1' && e.data.status === 'online',
          ),
      20_000,
      'the shelf back online after the adapter returned',
    );
    daemon.child.kill('SIGTERM');
    t.equal((await daemon.exited).code, 0);
    t.equal(shelfEvents().length, 1, 'unplugging and replugging made no pick or put');
  },
);

t.test(
  'simulated shoppers taking items become picks upstream that name products on those plates',
  async (t) => {
    const dir = t.testdir();
    const upstream = await cloud(dir);
    t.teardown(() => upstream.close());
    writeFileSync(join(dir, 'token'), 'e2e-token\n');
    const config = join(dir, 'store.yaml');
    writeFileSync(
      config,
      `hub: { id: ${hubId}, storeId: store-e2e }
dataDir: hub-data
upstream: { url: ws://127.0.0.1:${upstream.port}/hub, tokenFile: token }
log: { level: warn }
devices:
  shelves:
    - id: shelf-a
      driver: sim
      plates: 4
      sampleRateHz: 40
      cameras: [cam-a]
      planogram: [{ sku: cola-330, plates: [0] }, { sku: choc-100, plates: [1, 2] }, { sku: water-500, plates: [3] }]
  cameras: [{ id: cam-a, driver: sim }]
catalogue:
  products:
    - { sku: cola-330, grams: 355, spreadGrams: 3 }
    - { sku: choc-100, grams: 104, spreadGrams: 1.5 }
    - { sku: water-500, grams: 538, spreadGrams: 5 }
sim: { seed: 11, faultEverySeconds: 0, shoppersEverySeconds: 1 }
`,
    );
    const daemon = startDaemon(['run', '--config', config]);
    t.teardown(() => daemon.child.kill('SIGKILL'));
    const picks = () => upstream.events(hubId, 0, 10_000).filter((e) => e.kind === 'shelf.pick');
    await until(() => picks().length >= 3, 60_000, `three picks (daemon said: ${daemon.output()})`);
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    const home: Record<string, number[]> = { 'cola-330': [0], 'choc-100': [1, 2], 'water-500': [3] };
    for (const pick of picks()) {
      const data = pick.data as { plates: number[]; items: { sku: string; qty: number }[]; coverage: string };
      const skus = data.items.map((i) => i.sku);
      t.ok(skus.length > 0, `a pick names its items: ${JSON.stringify(data.items)}`);
      for (const sku of skus)
        t.ok(
          data.plates.some((p) => (home[sku] ?? []).some((h) => Math.abs(h - p) <= 1)),
          `${sku} was taken from where it sits (plates ${data.plates})`,
        );
      t.equal(data.coverage, 'full', 'the shelf camera was online');
    }
    const anomalies = upstream.events(hubId, 0, 10_000).filter((e) => e.kind === 'shelf.anomaly');
    t.ok(
      anomalies.length <= picks().length / 2,
      `few anomalies (${anomalies.length}) next to ${picks().length} picks`,
    );
  },
);
