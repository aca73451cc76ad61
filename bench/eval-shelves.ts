// `npm run eval:shelves [DATASETS]`: the shelf pipeline (ShelfSensor, then explainChange) on the real
// recordings in ../shared/datasets (or DATASETS), scored against their labels. A report, not a test:
// it exits 0 whatever the numbers, and says so plainly when the recordings are not there.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type Dataset,
  type DatasetLabel,
  type DatasetShelf,
  readAifi,
  readAim3s,
} from '../src/recording/datasets.js';
import { explainChange } from '../src/sensing/items.js';
import type { Explanation, Product, ShelfChange } from '../src/sensing/types.js';
import { packageRoot } from '../src/system/package.js';
import { runSensor } from './run-sensor.js';

/** AIM3S's measured weight change of each labelled event, in label order (datasets/README.md). */
const AIM3S_DELTAS: Record<string, number[]> = {
  shelf1: [-703.4, 711.4],
  shelf2: [-325.4, -411.2, 467.9, 325.8],
  shelf4: [-466.4],
  shelf5: [-394.8],
};
/** AiFi labels say the second; a change is theirs when it overlaps that second widened by this, ms. */
const AIFI_SLACK_MS = 2000;

interface Found {
  shelf: DatasetShelf;
  change: ShelfChange;
  explanation: Explanation;
  label?: DatasetLabel;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (v: number) => `${v >= 0 ? '+' : ''}${Math.round(v)}`;
const g = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
const yes = (ok: boolean | undefined) => (ok === undefined ? '-' : ok ? 'yes' : 'NO');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

function evaluate(data: Dataset): void {
  out(`\n=== ${data.name}: ${data.shelves.length} shelves, ${data.labels.length} labelled events ===`);
  const catalogue = new Map<string, Product>(data.catalogue.map((p) => [p.sku, p]));
  const found: Found[] = [];
  const faults = new Map<string, number>();
  let stuckAndFlat = 0;
  let disturbances = 0;
  for (const shelf of data.shelves) {
    for (const o of runSensor(shelf)) {
      if (o.type === 'disturbance') disturbances++;
      if (o.type === 'fault') faults.set(o.fault, (faults.get(o.fault) ?? 0) + 1);
      if (o.type === 'fault' && o.fault === 'stuck' && longestRepeatMs(shelf, o.plate) >= 10_000)
        stuckAndFlat++;
      if (o.type !== 'change') continue;
      found.push({ shelf, change: o, explanation: explainChange(o, shelf.planogram, catalogue) });
    }
  }
  const aim3s = data.published !== undefined;
  const perShelf = new Map<string, number>();
  let matched = 0;
  let itemsRight = 0;
  out(aim3s ? '' : '(plates are 0-based: file plate P is plate P-1)');
  out(
    'label                         found  sign  plates  delta g (label)      start ms  settle ms  item named',
  );
  for (const label of data.labels) {
    const index = perShelf.get(label.shelfId) ?? 0;
    perShelf.set(label.shelfId, index + 1);
    const slack = aim3s ? 0 : AIFI_SLACK_MS;
    const candidates = found.filter(
      (f) =>
        !f.label &&
        f.shelf.id === label.shelfId &&
        f.change.startedAt <= label.endMs + slack &&
        f.change.settledAt >= label.startMs - slack,
    );
    const hit = candidates.sort((a, b) => Math.abs(b.change.deltaGrams) - Math.abs(a.change.deltaGrams))[0];
    const expected = aim3s ? AIM3S_DELTAS[label.shelfId]?.[index] : labelGrams(label, catalogue);
    const when = aim3s
      ? `${label.shelfId} ${(label.startMs / 1000).toFixed(1)}-${(label.endMs / 1000).toFixed(1)} s`
      : `${label.shelfId} ${new Date(label.startMs).toISOString().slice(11, 19)} p${label.plates?.join(',')}`;
    if (!hit) {
      out(`${when.padEnd(30)}MISSED        expected ${expected === undefined ? '?' : g(expected)} g`);
      continue;
    }
    hit.label = label;
    matched++;
    const c = hit.change;
    const sign = expected === undefined ? undefined : Math.sign(expected) === Math.sign(c.deltaGrams);
    const plates = label.plates ? label.plates.every((p) => c.plates.includes(p)) : undefined;
    const start = aim3s ? ms(c.startedAt - label.startMs) : `in ${ms(c.startedAt - label.startMs)}`;
    const settle = aim3s ? ms(c.settledAt - label.endMs) : '-';
    const named = namedItems(hit.explanation, catalogue);
    const right = label.items
      ? hit.explanation.kind === 'items' &&
        label.items.every(
          (i) => hit.explanation.kind === 'items' && hit.explanation.items.some((x) => x.sku === i.sku),
        )
      : undefined;
    if (right) itemsRight++;
    out(
      `${when.padEnd(30)}yes    ${yes(sign).padEnd(5)} ${yes(plates).padEnd(7)} ${g(c.deltaGrams).padStart(8)} (${expected === undefined ? '?' : g(expected)})`.padEnd(
        77,
      ) +
        `${start.padStart(8)}  ${settle.padStart(9)}  ${named}${right === undefined ? '' : right ? '  right' : '  WRONG'}`,
    );
    out(
      `${''.padEnd(30)}plates ${c.plates.join(',')}: ${[...c.plates].map((p) => g(c.plateDeltas[p] as number)).join(' ')} g ± ${c.sigmaGrams.toFixed(1)}`,
    );
  }
  const falses = found.filter((f) => !f.label);
  for (const f of falses) {
    const c = f.change;
    const at = aim3s
      ? `${(c.startedAt / 1000).toFixed(1)} s`
      : new Date(c.startedAt).toISOString().slice(11, 23);
    out(
      `FALSE ${f.shelf.id} ${at}: ${g(c.deltaGrams)} g on plates ${c.plates.join(',')}: ${namedItems(f.explanation, catalogue)}`,
    );
  }
  const latency = found.map((f) => f.change.decidedAt - f.change.settledAt);
  out(
    `\nfound ${matched}/${data.labels.length}, missed ${data.labels.length - matched}, false ${falses.length}; ` +
      `items named right ${data.labels.some((l) => l.items) ? `${itemsRight}/${matched}` : '- (no item labels)'}; ` +
      `disturbances ${disturbances}; faults ${[...faults].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
  );
  out(
    `decision latency (decidedAt - settledAt): max ${latency.length ? Math.max(...latency).toFixed(0) : '-'} ms, median ${latency.length ? median(latency).toFixed(0) : '-'} ms`,
  );
  if (faults.has('stuck'))
    out(
      `stuck plates whose recording repeats one exact value for 10 s or more (dead or absent channels): ${stuckAndFlat} of ${faults.get('stuck')}`,
    );
  if (aim3s) published(data, found);
}

/** Samples in a row (100 ms at 60 Hz) that make a lasting move of a shelf's weight. */
const SUSTAINED = 6;

/** The longest run of one exact value in a plate's recording, ms. */
function longestRepeatMs(shelf: DatasetShelf, plate: number): number {
  let best = 0;
  let since = 0;
  for (let i = 1; i < shelf.times.length; i++) {
    if (shelf.values[i * shelf.plates + plate] !== shelf.values[(i - 1) * shelf.plates + plate]) since = i;
    best = Math.max(best, (shelf.times[i] as number) - (shelf.times[since] as number));
  }
  return best;
}

/**
 * When the shelf's weight began to change around a label, whatever any detector says: the first of
 * SUSTAINED samples in a row, from a second before the label's start, that all lie on one side of the
 * second before that, beyond 5 of its standard deviations (15 g at least). A lone spike is not a start.
 */
function firstMove(shelf: DatasetShelf, label: DatasetLabel): number | undefined {
  const total = (i: number) => {
    let sum = 0;
    for (let p = 0; p < shelf.plates; p++)
      sum += (shelf.values[i * shelf.plates + p] as number) * (shelf.calibration[p]?.slope ?? 1);
    return sum;
  };
  const from = label.startMs - 1000;
  const base: number[] = [];
  for (let i = 0; i < shelf.times.length; i++) {
    const t = shelf.times[i] as number;
    if (t >= from - 1000 && t < from) base.push(total(i));
  }
  if (base.length < 10) return undefined;
  const mean = base.reduce((a, b) => a + b, 0) / base.length;
  const sd = Math.sqrt(base.reduce((a, b) => a + (b - mean) ** 2, 0) / (base.length - 1));
  const limit = Math.max(5 * sd, 15);
  let run = 0;
  let side = 0;
  for (let i = 0; i < shelf.times.length; i++) {
    const t = shelf.times[i] as number;
    if (t < from || t > label.endMs) continue;
    const d = total(i) - mean;
    const s = Math.abs(d) > limit ? Math.sign(d) : 0;
    run = s !== 0 && s === side ? run + 1 : s !== 0 ? 1 : 0;
    side = s;
    if (run === SUSTAINED) return shelf.times[i - SUSTAINED + 1] as number;
  }
  return undefined;
}

/** AIM3S's own detections beside ours, against the same labels. */
function published(data: Dataset, found: Found[]): void {
  out('\nAIM3S detector (published) vs this one, errors against the labels (ms); "weight moved" is when');
  out(
    "the shelf's weight began to change for good (see firstMove). The labels come from 25 fps video (their times",
  );
  out(
    'fall on whole frames) and mark a hand in the shelf, which no weight-only detector sees before the weight moves.',
  );
  out('label                    AIM3S start   end      ours start   settle   weight moved');
  for (const label of data.labels) {
    const theirs = data.published?.find(
      (p) => p.shelfId === label.shelfId && p.startMs <= label.endMs && p.endMs >= label.startMs,
    );
    const ours = found.find((f) => f.label === label)?.change;
    const row = `${label.shelfId} ${(label.startMs / 1000).toFixed(1)} s`.padEnd(25);
    const t = theirs
      ? `${ms(theirs.startMs - label.startMs).padStart(11)} ${ms(theirs.endMs - label.endMs).padStart(6)}`
      : 'missed'.padStart(18);
    const o = ours
      ? `${ms(ours.startedAt - label.startMs).padStart(11)} ${ms(ours.settledAt - label.endMs).padStart(8)}`
      : 'missed'.padStart(20);
    const shelf = data.shelves.find((s) => s.id === label.shelfId);
    const moved = shelf && firstMove(shelf, label);
    out(`${row}${t}   ${o}   ${moved === undefined ? '-' : ms(moved - label.startMs).padStart(12)}`);
  }
}

function labelGrams(label: DatasetLabel, catalogue: Map<string, Product>): number | undefined {
  if (!label.items) return undefined;
  const grams = label.items.reduce((sum, i) => sum + (catalogue.get(i.sku)?.grams ?? Number.NaN) * i.qty, 0);
  return Number.isFinite(grams) ? (label.kind === 'put' ? grams : -grams) : undefined;
}

function namedItems(e: Explanation, catalogue: Map<string, Product>): string {
  if (e.kind === 'anomaly') return `anomaly: ${e.reason}`;
  const items = e.items.map((i) => `${i.qty} × ${catalogue.get(i.sku)?.name ?? i.sku}`).join(' + ');
  return `${e.direction} ${items} (${e.confidence.toFixed(2)})`;
}

const root = resolve(process.argv[2] ?? join(packageRoot, '..', 'shared', 'datasets'));
if (!existsSync(root)) {
  out(`No datasets at ${root}: nothing to evaluate. Pass the folder holding aim3s/ and aifi-cps-test-01/.`);
} else {
  for (const [folder, read] of [
    ['aim3s', readAim3s],
    ['aifi-cps-test-01', readAifi],
  ] as const) {
    const dir = join(root, folder);
    if (existsSync(dir)) evaluate(read(dir));
    else out(`\n${dir} is missing: skipped.`);
  }
}
