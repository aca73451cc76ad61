// Readers for the two public shelf-weight recordings the evaluation and `replay` run on, into one
// shape: shelves of interleaved samples with their own times, the planogram, the catalogue and the
// labels. Read in place, never copied. Every problem is an Error naming the file (and line).
//
// AIM3S (CMU + AiFi, BuildSys 2019): one channel per shelf, already the calibrated sum of its 12 plates,
// so each shelf is one plate and every product of a shelf sits on plate 0. Its product list holds two
// gondolas one after the other (AIM3S's own loader splits it the same way); the recording's is the
// first, the products before the first one placed on a shelf the recording does not have. A product's
// weight and spread come from its measured unit weights as item inference builds them (productFrom).
//
// AiFi (CPS-IoT Week 2020, cps-test-01): one file per plate, gondola_G_shelf_S_plate_P.csv, grouped into
// shelves `gG-sS`; plate P (1-based in the files and labels) is plate index P - 1. Rows are aligned by
// index across a shelf's plates and trimmed to the shortest; the shelf takes the first plate's times.
// Its catalogue has one weight per product: the spread is the default one (max(2 g, 3 %)), as for any
// product whose spread nobody measured.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpread, productFrom } from '../sensing/items.js';
import type { PlanogramEntry, PlateCalibration, Product } from '../sensing/types.js';
import { identityCalibration } from './file.js';
import { numberAt, readCsv, readJson } from './files.js';

export interface DatasetShelf {
  id: string;
  plates: number;
  rateHz: number;
  /** Time of each sample, ms (since the epoch for AiFi; on the recording's own axis for AIM3S). */
  times: Float64Array;
  /** Grams, interleaved: sample i of plate p is values[i * plates + p]; NaN = no reading. */
  values: Float32Array;
  /** Per plate, readings to grams; the datasets are in grams already (slope 1, offset 0). */
  calibration: PlateCalibration[];
  planogram: PlanogramEntry[];
}

/** A labelled pick or put. */
export interface DatasetLabel {
  shelfId: string;
  /** When it happened: AIM3S labels the whole interaction; AiFi the second it belongs to. */
  startMs: number;
  endMs: number;
  /** 0-based plates, where labelled. */
  plates?: number[];
  kind?: 'pick' | 'put';
  items?: { sku: string; qty: number }[];
}

export interface Dataset {
  name: string;
  shelves: DatasetShelf[];
  catalogue: Product[];
  labels: DatasetLabel[];
  /** Detections published with the recording (AIM3S's own detector), to compare with. */
  published?: { shelfId: string; startMs: number; endMs: number }[];
}

const AIM3S_RATE_HZ = 60;
const AIFI_RATE_HZ = 60;
const AIM3S_SERIES = 'aim3s_fig_shelf_weights_60Hz.csv';

/** Reads the dataset in `dir`, AIM3S or AiFi, telling them apart by their files. */
export function readDataset(dir: string): Dataset {
  if (existsSync(join(dir, AIM3S_SERIES))) return readAim3s(dir);
  if (existsSync(join(dir, 'plates'))) return readAifi(dir);
  throw new Error(`${dir}: not a recording file, nor an AIM3S or AiFi dataset folder`);
}

/** Reads the AIM3S figure recording from its folder. */
export function readAim3s(dir: string): Dataset {
  const csv = join(dir, AIM3S_SERIES);
  const [head, ...rows] = readCsv(csv);
  const header = head?.cells ?? [];
  const raw = header.map((h, i) => ({ h, i })).filter(({ h }) => /^shelf\d+_raw_g$/.test(h));
  if (header[0] !== 't_ms' || raw.length === 0)
    throw new Error(`${csv}:1: expected a header "t_ms,shelfN_raw_g,…", found "${header.join(',')}"`);
  const times = new Float64Array(rows.length);
  const columns = raw.map(() => new Float32Array(rows.length));
  rows.forEach(({ cells, line }, r) => {
    if (cells.length !== header.length)
      throw new Error(`${csv}:${line}: expected ${header.length} values, found ${cells.length}`);
    times[r] = numberAt(cells, 0, csv, line);
    raw.forEach(({ i }, k) => {
      (columns[k] as Float32Array)[r] = numberAt(cells, i, csv, line);
    });
  });
  const shelfIds = raw.map(({ h }) => h.replace('_raw_g', ''));
  const { catalogue, placed } = aim3sProducts(join(dir, 'product_info.json'), shelfIds.length);
  const shelves: DatasetShelf[] = shelfIds.map((id, k) => ({
    id,
    plates: 1,
    rateHz: AIM3S_RATE_HZ,
    times,
    values: columns[k] as Float32Array,
    calibration: identityCalibration(1),
    planogram: (placed.get(Number(/\d+/.exec(id)?.[0])) ?? []).map((sku) => ({ sku, plates: [0] })),
  }));
  const eventsFile = join(dir, 'aim3s_fig_events.json');
  const events = readJson(eventsFile) as { shelves?: Record<string, Record<string, unknown> | null> };
  if (typeof events.shelves !== 'object' || events.shelves === null)
    throw new Error(`${eventsFile}: no "shelves" object`);
  const labels: DatasetLabel[] = [];
  const published: NonNullable<Dataset['published']> = [];
  for (const [shelfId, entry] of Object.entries(events.shelves)) {
    for (const [start, end] of intervals(entry?.ground_truth_events_ms, `${eventsFile}: ${shelfId}`))
      labels.push({ shelfId, startMs: start, endMs: end });
    for (const [start, end] of intervals(entry?.detected_events_ms, `${eventsFile}: ${shelfId}`))
      published.push({ shelfId, startMs: start, endMs: end });
  }
  return { name: 'AIM3S', shelves, catalogue, labels, published };
}

function intervals(json: unknown, where: string): [number, number][] {
  const ok =
    Array.isArray(json) &&
    json.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every(Number.isFinite));
  if (!ok) throw new Error(`${where}: expected a list of [start_ms, end_ms] pairs`);
  return json as [number, number][];
}

interface Aim3sProduct {
  id?: unknown;
  name?: unknown;
  barcode?: unknown;
  arrangement?: { shelf_id?: unknown; plate_ids?: unknown }[];
  weights?: unknown;
}

/** The first gondola's products, and which of them each shelf (1-based) holds. */
function aim3sProducts(file: string, shelves: number) {
  const json = readJson(file) as { products?: (Aim3sProduct | null)[] };
  if (!Array.isArray(json.products)) throw new Error(`${file}: no "products" list`);
  const catalogue: Product[] = [];
  const placed = new Map<number, string[]>();
  for (const [i, p] of json.products.entries()) {
    const where = `${file}: product ${i + 1}`;
    const weights = p?.weights;
    if (!Array.isArray(p?.arrangement) || !Array.isArray(weights) || !weights.every(Number.isFinite))
      throw new Error(`${where}: needs an "arrangement" list and numeric "weights"`);
    const shelfIds = p.arrangement.map((a) => a?.shelf_id);
    if (!shelfIds.every((s) => Number.isInteger(s) && (s as number) >= 1))
      throw new Error(`${where}: every arrangement needs a shelf_id from 1`);
    if (shelfIds.some((s) => (s as number) > shelves)) break;
    const sku = typeof p.barcode === 'string' && p.barcode !== '' ? p.barcode : String(p.id ?? i + 1);
    // A product without a positive unit weight (the list has "0.0") cannot be weighed: left out.
    if (!(weights as number[]).some((w) => w > 0)) continue;
    catalogue.push(productFrom(sku, typeof p.name === 'string' ? p.name : undefined, weights as number[]));
    for (const s of new Set(shelfIds as number[])) placed.set(s, [...(placed.get(s) ?? []), sku]);
  }
  return { catalogue, placed };
}

/** A shelf has at most this many plates (as a recording or a configured shelf may). */
const MAX_PLATES = 64;
const PLATE_FILE = /^gondola_(\d+)_shelf_(\d+)_plate_(\d+)\.csv$/;

/** Reads the AiFi cps-test-01 recording from its folder. */
export function readAifi(dir: string): Dataset {
  const platesDir = join(dir, 'plates');
  if (!existsSync(platesDir)) throw new Error(`${platesDir}: folder not found`);
  const files = new Map<string, Map<number, string>>();
  for (const name of readdirSync(platesDir)) {
    const m = PLATE_FILE.exec(name);
    if (!m) continue;
    const id = `g${Number(m[1])}-s${Number(m[2])}`;
    if (!files.has(id)) files.set(id, new Map());
    files.get(id)?.set(Number(m[3]), join(platesDir, name));
  }
  if (files.size === 0) throw new Error(`${platesDir}: no gondola_G_shelf_S_plate_P.csv files`);
  const { catalogue, planograms } = aifiProducts(join(dir, 'cps-test-01-nodepth-product.csv'));
  const shelves = [...files.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([id, plates]) => aifiShelf(id, plates, planograms.get(id) ?? []));
  return {
    name: 'AiFi cps-test-01',
    shelves,
    catalogue,
    labels: aifiLabels(join(dir, 'ground_truth_cps-test-01.json')),
  };
}

function aifiShelf(id: string, files: Map<number, string>, planogram: PlanogramEntry[]): DatasetShelf {
  const plates = Math.max(...files.keys());
  const series = new Map<number, { t: Float64Array; g: Float64Array }>();
  for (const [number, file] of files) {
    if (number < 1 || number > MAX_PLATES)
      throw new Error(`${file}: plates are numbered from 1 to ${MAX_PLATES}`);
    const rows = readCsv(file);
    const t = new Float64Array(rows.length);
    const g = new Float64Array(rows.length);
    rows.forEach(({ cells, line }, i) => {
      if (cells.length !== 2) throw new Error(`${file}:${line}: expected "unix_time_seconds,grams"`);
      t[i] = numberAt(cells, 0, file, line) * 1000;
      g[i] = numberAt(cells, 1, file, line, true);
    });
    series.set(number, { t, g });
  }
  const rows = Math.min(...[...series.values()].map((s) => s.t.length));
  const first = series.get(Math.min(...series.keys())) as { t: Float64Array };
  const values = new Float32Array(rows * plates).fill(Number.NaN);
  for (const [number, s] of series)
    for (let i = 0; i < rows; i++) values[i * plates + number - 1] = s.g[i] as number;
  const times = first.t.slice(0, rows);
  return {
    id,
    plates,
    rateHz: AIFI_RATE_HZ,
    times,
    values,
    calibration: identityCalibration(plates),
    planogram,
  };
}

/** The catalogue (one product per name: the names are the SKUs) and each shelf's planogram. */
function aifiProducts(file: string) {
  const [head, ...rows] = readCsv(file);
  const header = head?.cells ?? [];
  const expected = ['Name', 'Gondola', 'Shelf', 'Plate', 'Weight'];
  if (expected.some((h, i) => header[i] !== h))
    throw new Error(`${file}:1: expected a header starting "${expected.join(',')}"`);
  const products = new Map<string, Product>();
  const onShelf = new Set<string>();
  const placed = new Map<string, Map<string, number[]>>();
  for (const { cells, line } of rows) {
    if (cells.length < 5)
      throw new Error(`${file}:${line}: expected at least 5 values, found ${cells.length}`);
    const sku = cells[0] as string;
    const [gondola, shelf, plate] = [1, 2, 3].map((k) => numberAt(cells, k, file, line));
    const grams = numberAt(cells, 4, file, line);
    const here = gondola !== -1;
    if (here && !([gondola, shelf, plate] as number[]).every((n) => Number.isInteger(n) && n >= 1))
      throw new Error(`${file}:${line}: gondola, shelf and plate must be -1 or whole numbers from 1`);
    // A weight of 0 (or a stray gram) is the catalogue's "unknown": such a product cannot be weighed.
    if (grams > 0 && (!products.has(sku) || (here && !onShelf.has(sku))))
      products.set(sku, { sku, grams, spreadGrams: defaultSpread(grams) });
    if (!here) continue;
    onShelf.add(sku);
    const id = `g${gondola}-s${shelf}`;
    const shelfMap = placed.get(id) ?? new Map<string, number[]>();
    placed.set(id, shelfMap);
    shelfMap.set(sku, [...(shelfMap.get(sku) ?? []), (plate as number) - 1]);
  }
  const planograms = new Map<string, PlanogramEntry[]>();
  for (const [id, entries] of placed)
    planograms.set(
      id,
      [...entries].map(([sku, plates]) => ({ sku, plates: [...new Set(plates)].sort((a, b) => a - b) })),
    );
  return { catalogue: [...products.values()], planograms };
}

interface AifiEvent {
  observation?: {
    position?: { gondola?: unknown; shelf?: unknown; plates?: unknown };
    products?: { name?: unknown }[];
    time?: unknown;
  };
  putback?: unknown;
}

function aifiLabels(file: string): DatasetLabel[] {
  const json = readJson(file) as { events?: (AifiEvent | null)[] };
  if (!Array.isArray(json.events)) throw new Error(`${file}: no "events" list`);
  return json.events.map((e, i) => {
    const where = `${file}: event ${i + 1}`;
    const o = e?.observation;
    const time = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})$/.exec(String(o?.time));
    const { gondola, shelf, plates } = o?.position ?? {};
    if (!time || !Number.isInteger(gondola) || !Number.isInteger(shelf) || !Array.isArray(plates))
      throw new Error(
        `${where}: needs observation.time "YYYY-MM-DD_HH-MM-SS" and a gondola, shelf and plates`,
      );
    if (!plates.every((p) => Number.isInteger(p) && p >= 1))
      throw new Error(`${where}: plates are numbered from 1`);
    const [y, mo, d, h, mi, s] = time.slice(1).map(Number) as number[];
    const startMs = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
    const items = (o?.products ?? []).map((p) => ({ sku: String(p.name), qty: 1 }));
    return {
      shelfId: `g${gondola}-s${shelf}`,
      startMs,
      endMs: startMs + 1000,
      plates: (plates as number[]).map((p) => p - 1),
      kind: e?.putback ? 'put' : 'pick',
      items,
    };
  });
}
