// The gates' timing, measured on the daemon's own composition (App) in this process while the
// 2,000-plate simulated store runs beside it: from a scan reaching the hub to the unlock write, with
// the token verified on the hub (and, in a second run, also asked of the reference upstream over
// loopback); and from the fire-alarm input's edge to the last of 16 gates' unlock writes.
//
// The scanner is the simulated one, so "the last byte arriving" is the moment the scan is handed to
// the hub; a serial scanner adds its read (one chunk) before that. The bench gate model has no debounce
// on its beams and buttons (the shipped models' 15 to 30 ms would only slow the bench's shoppers down);
// the fire input keeps the shipped debounce, so the fire figure is what a real alarm edge gets.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { parse } from 'yaml';
import { App } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { loadGateProfile } from '../src/drivers/gpio/gate-profile.js';
import type { SimGpioChip } from '../src/drivers/gpio/sim.js';
import { devicesDir } from '../src/drivers/profile-file.js';
import type { SimStore } from '../src/sim/store.js';
import { silentLogger } from '../src/system/log.js';
import { Secret } from '../src/system/secret.js';
import { startUpstream } from '../src/upstream/server.js';
import { storeConfig } from './daemon-shelves.js';

const GATES = 16;
/** The shipped models' debounce on the fire input, which the bench keeps. */
const FIRE_DEBOUNCE_MS =
  loadGateProfile(join(devicesDir, 'gate-swing.yaml')).inputs.fireAlarm?.debounceMs ?? 0;
const STORE = 'store-bench';

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface GateTimings {
  local: Percentiles;
  cloud: Percentiles;
  /** Fire edge to the last gate's unlock write, per drill. */
  fire: Percentiles;
  /** The fire input's debounce, part of `fire`. */
  fireDebounceMs: number;
  gates: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** The swing gate's model without debounce (but on the fire input) or pauses: back at rest at once. */
function benchGateModel(dir: string): string {
  const swing = parse(readFileSync(join(devicesDir, 'gate-swing.yaml'), 'utf8'));
  for (const [name, input] of Object.entries(swing.inputs) as Array<[string, { debounceMs: number }]>)
    if (name !== 'fireAlarm') input.debounceMs = 0;
  swing.timing.relockDelayMs = 0;
  swing.timing.denyFeedbackMs = 0;
  const path = join(dir, 'bench-gate.yaml');
  writeFileSync(path, JSON.stringify(swing));
  return path;
}

/** Calls `onUnlock(gateId)` whenever a gate's unlock output is driven open. */
function watchUnlocks(sim: SimStore, gateIds: string[], onUnlock: (gateId: string) => void): void {
  for (const gateId of gateIds)
    sim.gpio(gateId).onOutput((line, level) => {
      if (line === 'unlock' && level === 1) onUnlock(gateId);
    });
}

const tick = () => new Promise((r) => setImmediate(r));

async function untilTrue(what: () => boolean, why: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!what()) {
    if (performance.now() > deadline) throw new Error(`bench: ${why} did not happen within ${ms} ms`);
    await tick();
  }
}

async function startStore(dir: string, upstreamUrl: string, x: string) {
  mkdirSync(dir, { recursive: true });
  const model = benchGateModel(dir);
  const base = storeConfig(join(dir, 'hub'), upstreamUrl, 0);
  const gates = Array.from({ length: GATES }, (_, i) => ({
    id: i === 0 ? 'gate-in' : `gate-${i}`,
    role: 'entry',
    driver: 'sim',
    profile: model,
  }));
  const config = {
    ...base,
    hub: { id: 'hub-bench-gates', storeId: STORE },
    log: { level: 'warn' },
    devices: {
      ...(base.devices as object),
      gates,
      scanners: [{ id: 'qr-in', kind: 'qr', gateId: 'gate-in', driver: 'sim' }],
    },
    credentials: { qr: { keys: [{ kid: 'bench', x }] } },
    sim: { seed: 7, faultEverySeconds: 0, shoppersEverySeconds: 0, gateShoppersEverySeconds: 0 },
  };
  const path = join(dir, 'store.yaml');
  writeFileSync(path, JSON.stringify(config));
  const app = new App({
    config: loadConfig(path, { STORE_GATEWAY_UPSTREAM_TOKEN: 'bench-token' }),
    log: silentLogger(),
    version: 'bench',
  });
  const sim = app.devices.sim as SimStore;
  const unlocked = new Map<string, number>();
  watchUnlocks(
    sim,
    gates.map((g) => g.id),
    (gateId) => unlocked.set(gateId, performance.now()),
  );
  await app.start();
  return { app, sim, unlocked, gateIds: gates.map((g) => g.id) };
}

/** One person through a debounce-free lane, into the shop. */
function walkIn(chip: SimGpioChip): void {
  chip.drive('beamOuter', 1);
  chip.drive('beamInner', 1);
  chip.drive('beamOuter', 0);
  chip.drive('beamInner', 0);
}

/** Scan to unlock, `count` times, each shopper walking in before the next scans. */
async function scansToUnlock(
  store: Awaited<ReturnType<typeof startStore>>,
  tokens: string[],
): Promise<Percentiles> {
  const scanner = store.sim.scanner('qr-in');
  const chip = store.sim.gpio('gate-in');
  await untilTrue(() => scanner.isOpen, 'the scanner opening');
  const samples: number[] = [];
  for (const token of tokens) {
    store.unlocked.delete('gate-in');
    const t0 = performance.now();
    scanner.present(token);
    await untilTrue(() => store.unlocked.has('gate-in'), 'an unlock');
    samples.push((store.unlocked.get('gate-in') as number) - t0);
    walkIn(chip);
    await untilTrue(() => chip.level('unlock') === 0, 'the relock');
    // Leave the event loop to the shelves for a moment, as the gaps between real shoppers would.
    if (samples.length % 20 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return percentiles(samples);
}

/** The fire input at one gate, `drills` times: edge to the last gate's unlock write. */
async function fireDrills(
  store: Awaited<ReturnType<typeof startStore>>,
  drills: number,
): Promise<Percentiles> {
  const chip = store.sim.gpio('gate-in');
  const samples: number[] = [];
  for (let i = 0; i < drills; i++) {
    store.unlocked.clear();
    const t0 = performance.now();
    chip.drive('fireAlarm', 1);
    await untilTrue(() => store.unlocked.size === store.gateIds.length, 'every gate open');
    samples.push(Math.max(...store.unlocked.values()) - t0);
    chip.drive('fireAlarm', 0);
    // The clearing edge is debounced too; a reset before it lands would be refused.
    await new Promise((r) => setTimeout(r, FIRE_DEBOUNCE_MS + 5));
    const reset = await store.app.commands.handle('local', 'emergency.reset', {});
    if (!reset.ok) throw new Error(`bench: the reset was refused: ${reset.error.message}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return percentiles(samples);
}

/** Runs all three measurements in `dir`; see the file's head. */
export async function measureGates(dir: string, scans = 10_000): Promise<GateTimings> {
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const x = (await exportJWK(publicKey)).x as string;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const mint = (n: number) =>
    new SignJWT({ aud: STORE, exp, jti: `bench-${n}` })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
      .sign(privateKey);
  const tokens = await Promise.all(Array.from({ length: scans }, (_, i) => mint(i)));

  // The cloud away (nothing listens on port 9): the token verified on the hub alone.
  const offline = await startStore(join(dir, 'offline'), 'ws://127.0.0.1:9/hub', x);
  let local: Percentiles;
  let fire: Percentiles;
  try {
    local = await scansToUnlock(offline, tokens);
    fire = await fireDrills(offline, 50);
  } finally {
    await offline.app.stop('bench over');
  }

  // The reference upstream on loopback answers entry.authorize before the gate opens.
  mkdirSync(join(dir, 'online'), { recursive: true });
  const upstream = await startUpstream({
    port: 0,
    tokens: [new Secret('bench-token')],
    dbPath: join(dir, 'online', 'upstream.db'),
    log: silentLogger(),
  });
  const online = await startStore(join(dir, 'online'), upstream.url, x);
  let cloud: Percentiles;
  try {
    await untilTrue(() => online.app.uplink.state === 'streaming', 'the uplink connecting');
    const cloudTokens = await Promise.all(
      Array.from({ length: Math.min(scans, 2000) }, (_, i) => mint(scans + i)),
    );
    cloud = await scansToUnlock(online, cloudTokens);
  } finally {
    await online.app.stop('bench over');
    await upstream.close();
  }
  return { local, cloud, fire, fireDebounceMs: FIRE_DEBOUNCE_MS, gates: GATES };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = mkdtempSync(join(tmpdir(), 'store-gateway-gates-bench-'));
  try {
    process.stdout.write(
      `${JSON.stringify(await measureGates(dir, Number(process.argv[2] ?? 2000)), null, 2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
