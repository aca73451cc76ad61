// The diagnostics page's script: reads the hub's live feed (/api/live), draws each section from it and
// sends a technician's actions to /api/commands with the session's CSRF token. Everything it shows is
// put in as text, never as markup. Sections are redrawn only when what they show has changed, so a
// button does not move under a finger, and only the visible one is drawn, so a small hub's phone
// client stays cool.
import type uPlotType from 'uplot';

declare global {
  interface Window {
    uPlot: typeof uPlotType;
  }
}

interface DeviceStatus {
  deviceId: string;
  deviceKind: string;
  status: string;
  reason: string;
  since?: number;
}
interface GateView {
  gateId: string;
  role: string;
  state: string;
  alarms: string[];
  counts: { in: number; out: number; denied: number; granted: number };
}
interface ShelfView {
  shelfId: string;
  status: string;
  reason: string;
  motion: string;
  faults: Record<string, unknown>;
  calibration: { slope: number; offset: number }[];
  job?: { plates: number[]; waitingFor: 'still' | 'weight' | 'settled' };
}
interface CameraView {
  deviceId: string;
  status: string;
  reason: string;
  probes: number;
  last?: { ok: boolean; at: number; fps?: number; kbps?: number; latencyMs?: number; frozen?: boolean };
  goodSince?: number;
  troubleSince?: number;
  outage?: Outage;
  outages: Outage[];
}
interface Outage {
  from: number;
  to?: number;
  worst: string;
  reason: string;
}
interface ScannerView {
  scannerId: string;
  lastScanAt?: number;
  lastLength?: number;
  lastProblem?: string;
  scans: number;
  testingUntil?: number;
}
interface Status {
  uplink: {
    state: string;
    sentSeq: number;
    ackedSeq: number;
    reconnects: number;
    lastAckAt: number;
    lastError: string;
  };
  outbox: { depth: number; lastSeq: number };
  devices: DeviceStatus[];
  shelves: { shelves: ShelfView[] };
  store: {
    mode: string;
    emergency: string;
    occupancy: number;
    tripsInside: number;
    tripsWaiting: number;
    announced: { mode: string; reasons: string[] };
  };
  gates: GateView[];
  cameras: CameraView[];
  scanners: ScannerView[];
}
interface FeedEvent {
  seq: number;
  id: string;
  kind: string;
  time: string;
  data: Record<string, unknown>;
}
interface LogLine {
  time: string;
  level: string;
  msg: string;
  part?: string;
  deviceId?: string;
}
interface SeenScan {
  scannerId: string;
  at: number;
  length: number;
  problem?: string;
  code?: string;
}

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
const csrf = meta('csrf-token');
const technician = meta('role') === 'technician';
const tabs = ['overview', 'gates', 'scanners', 'shelves', 'cameras', 'events'] as const;
type Tab = (typeof tabs)[number];

let status: Status | undefined;
/** The hub's clock minus this device's, from each status: "4 s ago" is the hub's, whatever the phone says. */
let skewMs = 0;
const hubNow = () => Date.now() + skewMs;
const events: FeedEvent[] = [];
const logs: LogLine[] = [];
/** Codes read in test mode, newest first. */
const testCodes: SeenScan[] = [];
const MAX_EVENTS = 500;
const MAX_LOGS = 300;
let socket: WebSocket | undefined;
let signedOut = false;

// ---- small DOM helpers ----------------------------------------------------------------------------

type Child = Node | string | number | undefined | null | false;

/** An element with attributes and children; text is always text. */
function h(
  tag: string,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces `container`'s children with `children`, only when they would look different. */
function patch(container: Element, ...children: Child[]): void {
  const next = h('div', {}, ...children);
  if (next.innerHTML === container.innerHTML) return;
  container.replaceChildren(...next.childNodes);
}

/** A button that runs a command when clicked (see the click handler below); technicians only. */
function action(label: string, name: string, args: Record<string, unknown> = {}, confirm?: string): Child {
  if (!technician) return undefined;
  return h(
    'button',
    { type: 'button', 'data-command': name, 'data-args': JSON.stringify(args), 'data-confirm': confirm },
    label,
  );
}

const ago = (ms: number | undefined) => {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((hubNow() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
};
const clock = (ms: number) => new Date(ms).toLocaleTimeString();
const badge = (state: string) => h('span', { class: `badge ${state.replace(/[^a-z_]/gi, '')}` }, state);
const table = (head: string[], rows: Child[][]) =>
  h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h('tr', {}, ...r.slice(0, head.length).map((c, i) => h('td', { 'data-label': head[i] }, c))),
      ),
    ),
  );
const section = (id: Tab) => document.getElementById(id) as HTMLElement;

/** A part of a section built once (forms keep what was typed) and a part redrawn from the status. */
function parts(
  id: Tab,
  build: (controls: HTMLElement) => void,
): { view: HTMLElement; controls: HTMLElement } {
  const el = section(id);
  let view = el.querySelector<HTMLElement>(':scope > .view');
  let controls = el.querySelector<HTMLElement>(':scope > .controls');
  if (!view || !controls) {
    view = h('div', { class: 'view' });
    controls = h('div', { class: 'controls' });
    el.replaceChildren(controls, view);
    build(controls);
  }
  return { view, controls };
}

function notice(text: string, good: boolean): void {
  const el = document.getElementById('notice') as HTMLElement;
  el.textContent = text;
  el.className = good ? 'good' : 'bad';
  el.hidden = false;
}

// ---- actions ----------------------------------------------------------------------------------------

interface Answer {
  ok: boolean;
  result?: { message?: string } & Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Runs a command on the hub as the signed-in technician; says how it went in the notice line. */
async function command(name: string, args: Record<string, unknown>): Promise<Answer | undefined> {
  notice(`${name}: sent…`, true);
  let response: Response;
  try {
    response = await fetch('/api/commands', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ name, args }),
    });
  } catch {
    notice(`${name}: the hub did not answer`, false);
    return undefined;
  }
  if (response.status === 401) {
    showSignedOut('Your session has ended: sign in again.');
    return undefined;
  }
  if (!response.headers.get('content-type')?.startsWith('application/json')) {
    notice(`${name}: ${(await response.text()).trim()}`, false);
    return undefined;
  }
  const answer = (await response.json()) as Answer;
  if (answer.ok) notice(`${name}: ${answer.result?.message ?? 'done'}`, true);
  else notice(`${name}: ${answer.error?.message ?? 'refused'}`, false);
  return answer;
}

document.addEventListener('click', (e) => {
  const button = (e.target as Element).closest<HTMLButtonElement>('button[data-command]');
  if (!button) return;
  const { command: name, args, confirm: question } = button.dataset;
  if (!name) return;
  if (question && !window.confirm(question)) return;
  void command(name, JSON.parse(args ?? '{}') as Record<string, unknown>);
});

/** Codes read in test mode leave the screen when their scanner's test ends. */
function forgetEndedTests(): void {
  const testing = new Set(
    status?.scanners.filter((s) => s.testingUntil !== undefined).map((s) => s.scannerId),
  );
  for (let i = testCodes.length - 1; i >= 0; i--)
    if (!testing.has((testCodes[i] as SeenScan).scannerId)) testCodes.splice(i, 1);
}

// ---- sections ---------------------------------------------------------------------------------------

function drawOverview(s: Status): void {
  const { store, uplink, outbox } = s;
  const alarms = [
    ...(store.emergency !== 'normal' ? [`emergency ${store.emergency}`] : []),
    ...s.gates.flatMap((g) => g.alarms.map((a) => `${g.gateId}: ${a}`)),
    ...s.devices.filter((d) => d.status !== 'online').map((d) => `${d.deviceId} ${d.status}: ${d.reason}`),
  ];
  patch(
    section('overview'),
    h(
      'div',
      { class: 'cards' },
      h(
        'div',
        { class: 'card' },
        h('h3', {}, 'Store'),
        badge(store.announced.mode),
        ...reasons(store.announced.reasons),
      ),
      h(
        'div',
        { class: 'card' },
        h('h3', {}, 'Inside'),
        h('p', { class: 'big', 'data-field': 'occupancy' }, store.occupancy),
        h('p', {}, `${store.tripsInside} trips inside, ${store.tripsWaiting} waiting at the gate`),
      ),
      h(
        'div',
        { class: 'card' },
        h('h3', {}, 'Cloud'),
        badge(uplink.state),
        h('p', {}, `${outbox.depth} events to send · acked up to ${uplink.ackedSeq} of ${outbox.lastSeq}`),
        h('p', {}, `last ack ${ago(uplink.lastAckAt)} · ${uplink.reconnects} reconnects`),
        uplink.lastError && uplink.state !== 'streaming'
          ? h('p', { class: 'reason' }, uplink.lastError)
          : undefined,
      ),
      h(
        'div',
        { class: 'card wide' },
        h('h3', {}, `Alarms and problems (${alarms.length})`),
        alarms.length === 0
          ? h('p', {}, 'none')
          : h('ul', { class: 'alarms' }, ...alarms.map((a) => h('li', {}, a))),
      ),
    ),
  );
}

function reasons(list: string[]): Child[] {
  return list.length === 0 ? [] : [h('ul', { class: 'reasons' }, ...list.map((r) => h('li', {}, r)))];
}

function drawGates(s: Status): void {
  const { view } = parts('gates', () => {});
  const passages = events
    .filter((e) => e.kind === 'shopper.entered' || e.kind === 'shopper.exited')
    .slice(-8);
  const emergency = s.store.emergency !== 'normal';
  patch(
    view,
    h(
      'div',
      { class: 'row' },
      h('span', {}, 'Emergency: '),
      badge(s.store.emergency),
      emergency
        ? action(
            'Reset emergency',
            'emergency.reset',
            {},
            'Is the fire alarm clear and the store safe? Reset the emergency.',
          )
        : action(
            'Open every gate (emergency)',
            'emergency.start',
            { reason: 'diagnostics page' },
            'Open every gate now?',
          ),
    ),
    table(
      ['Gate', 'Role', 'State', 'Alarms', 'In / out', 'Denied', ...(technician ? ['Actions'] : [])],
      s.gates.map((g) => [
        g.gateId,
        g.role,
        badge(g.state),
        g.alarms.join(', ') || '—',
        `${g.counts.in} / ${g.counts.out}`,
        g.counts.denied,
        // A free exit is open already: nothing to unlock or test while it is.
        !technician
          ? undefined
          : g.state === 'free'
            ? '—'
            : h(
                'span',
                { class: 'actions' },
                action('Unlock', 'gate.unlock', { gateId: g.gateId }),
                action('Test lights', 'gate.test', { gateId: g.gateId }),
              ),
      ]),
    ),
    h('h3', {}, 'Recent passages'),
    passages.length === 0
      ? h('p', {}, 'none yet')
      : table(
          ['Time', 'Gate', 'Way', 'Trip'],
          passages
            .reverse()
            .map((e) => [
              clock(Date.parse(e.time)),
              String(e.data.gateId),
              e.kind === 'shopper.entered' ? 'in' : 'out',
              String(e.data.tripId ?? '—').slice(0, 8),
            ]),
        ),
  );
}

function drawScanners(s: Status): void {
  const { view } = parts('scanners', () => {});
  const statusOf = (id: string) => s.devices.find((d) => d.deviceId === id);
  patch(
    view,
    table(
      ['Scanner', 'Status', 'Last scan', 'Read', 'Test mode'],
      s.scanners.map((sc) => {
        const device = statusOf(sc.scannerId);
        const testing = sc.testingUntil !== undefined;
        return [
          sc.scannerId,
          h('span', {}, badge(device?.status ?? 'unknown'), ' ', device?.reason ?? ''),
          ago(sc.lastScanAt),
          sc.lastLength === undefined
            ? '—'
            : `${'•'.repeat(6)} (${sc.lastLength} characters${sc.lastProblem ? `, ${sc.lastProblem}` : ''})`,
          h(
            'span',
            { class: 'actions' },
            testing ? `until ${clock(sc.testingUntil as number)} ` : 'off ',
            testing
              ? action('End test', 'scanner.test', { scannerId: sc.scannerId, minutes: 0 })
              : action('Test 2 min', 'scanner.test', { scannerId: sc.scannerId, minutes: 2 }),
          ),
        ];
      }),
    ),
    h('h3', {}, 'Codes read in test mode'),
    h(
      'p',
      { class: 'hint' },
      'While a scanner is under test its gate ignores it, and what it reads is shown here in full.',
    ),
    testCodes.length === 0
      ? h('p', {}, 'none')
      : table(
          ['Time', 'Scanner', 'Code'],
          testCodes.map((c) => [clock(c.at), c.scannerId, h('code', { class: 'code' }, c.code ?? '')]),
        ),
  );
}

function drawCameras(s: Status): void {
  patch(
    section('cameras'),
    table(
      ['Camera', 'Status', 'fps', 'kbps', 'Answer', 'Last good probe', 'Probes'],
      s.cameras.map((c) => [
        c.deviceId,
        h('span', {}, badge(c.status), ' ', c.status === 'online' ? '' : c.reason),
        c.last?.fps === undefined ? '—' : c.last.fps.toFixed(1),
        c.last?.kbps === undefined ? '—' : Math.round(c.last.kbps),
        c.last?.latencyMs === undefined ? '—' : `${Math.round(c.last.latencyMs)} ms`,
        c.last?.ok ? ago(c.last.at) : c.troubleSince ? `none since ${clock(c.troubleSince)}` : '—',
        c.probes,
      ]),
    ),
    h('h3', {}, 'Outages'),
    ((list) =>
      list.length === 0
        ? h('p', {}, 'none')
        : table(
            ['Camera', 'From', 'To', 'Worst', 'Reason'],
            list.map(([id, o]) => [id, clock(o.from), o.to ? clock(o.to) : 'still', o.worst, o.reason]),
          ))(
      s.cameras
        .flatMap((c) => [...c.outages, ...(c.outage ? [c.outage] : [])].map((o) => [c.deviceId, o] as const))
        .sort((a, b) => b[1].from - a[1].from)
        .slice(0, 30),
    ),
  );
}

// ---- shelves: the live plot, tare and calibration ----------------------------------------------------

const PLOT_SECONDS = 30;
const plot = {
  shelfId: '',
  chart: undefined as uPlotType | undefined,
  data: [[]] as number[][] & (number | null)[][],
  dirty: false,
  points: 0,
  /** Whether the hub is sending this page the shelf's weights. */
  watching: false,
};

function drawShelves(s: Status): void {
  const { view, controls } = parts('shelves', buildShelfControls);
  const select = controls.querySelector<HTMLSelectElement>('select[name="shelf"]') as HTMLSelectElement;
  const ids = s.shelves.shelves.map((x) => x.shelfId);
  if ([...select.options].map((o) => o.value).join() !== ids.join()) {
    select.replaceChildren(...ids.map((id) => h('option', { value: id }, id)));
    if (plot.shelfId && ids.includes(plot.shelfId)) select.value = plot.shelfId;
  }
  if (!plot.shelfId && ids[0]) choose(ids[0]);
  const shelf = s.shelves.shelves.find((x) => x.shelfId === plot.shelfId);
  // Only a technician has the calibration wizard.
  const plateSelect = controls.querySelector<HTMLSelectElement>('select[name="plate"]');
  const plates = shelf?.calibration.length ?? 0;
  if (plateSelect && plateSelect.options.length !== plates)
    plateSelect.replaceChildren(
      ...Array.from({ length: plates }, (_, p) => h('option', { value: String(p) }, `plate ${p}`)),
    );
  followCalibration(controls, shelf);
  const last = plot.data.slice(1).map((series) => series.findLast((v) => v !== null));
  // Under the plot: each plate's reading now.
  patch(
    controls.querySelector('.readings') as HTMLElement,
    ...last.map((g, p) =>
      h(
        'span',
        {},
        `plate ${p}: `,
        h('strong', {}, g === undefined || g === null ? '—' : `${g.toFixed(0)} g`),
      ),
    ),
  );
  patch(
    view,
    table(
      ['Shelf', 'Status', 'Motion', 'Faults'],
      s.shelves.shelves.map((x) => [
        x.shelfId,
        h('span', {}, badge(x.status), ' ', x.status === 'online' ? '' : x.reason),
        x.motion,
        Object.keys(x.faults).join(', ') || '—',
      ]),
    ),
    h('h3', {}, 'Recent picks and puts'),
    ((list) =>
      list.length === 0
        ? h('p', {}, 'none yet')
        : table(
            ['Time', 'Kind', 'Plates', 'Grams', 'Items'],
            list.map((e) => [
              clock(Date.parse(e.time)),
              e.kind.replace('shelf.', ''),
              Array.isArray(e.data.plates) ? e.data.plates.join(', ') : '—',
              typeof e.data.deltaGrams === 'number' ? e.data.deltaGrams.toFixed(0) : '—',
              itemsOf(e.data),
            ]),
          ))(
      events
        .filter((e) => e.kind.startsWith('shelf.') && e.data.shelfId === plot.shelfId)
        .slice(-8)
        .reverse(),
    ),
  );
}

function itemsOf(data: Record<string, unknown>): string {
  const items = data.items;
  if (!Array.isArray(items)) return '—';
  return items.map((i: { sku?: string; qty?: number }) => `${i.qty ?? 1}× ${i.sku ?? '?'}`).join(', ') || '—';
}

function buildShelfControls(controls: HTMLElement): void {
  const select = h('select', { name: 'shelf', 'aria-label': 'Shelf' }) as HTMLSelectElement;
  select.addEventListener('change', () => choose(select.value));
  const chart = h('div', { class: 'plot', id: 'plot', 'data-points': '0' });
  const readings = h('p', { class: 'readings' });
  controls.append(
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'Shelf ', select),
      action('Tare all plates', 'shelf.tare', {}, undefined) ?? '',
    ),
    chart,
    readings,
  );
  const tare = controls.querySelector<HTMLButtonElement>('button[data-command="shelf.tare"]');
  // The shelf is the one chosen when clicked.
  tare?.addEventListener(
    'click',
    () => {
      tare.dataset.args = JSON.stringify({ shelfId: plot.shelfId });
    },
    { capture: true },
  );
  if (technician) controls.append(calibrationWizard());
}

/** Three steps: choose the plate and the known weight; empty the plate; place the weight when asked. */
function calibrationWizard(): HTMLElement {
  const plate = h('select', { name: 'plate', 'aria-label': 'Plate' }) as HTMLSelectElement;
  const grams = h('input', {
    name: 'grams',
    type: 'number',
    min: '1',
    max: '100000',
    step: 'any',
    value: '1000',
    'aria-label': 'Known weight in grams',
  }) as HTMLInputElement;
  const start = h('button', { type: 'submit' }, 'Start calibration');
  const step = h(
    'p',
    { class: 'step', 'data-step': 'choose' },
    '1. Choose the plate and the known weight, take everything off the plate, then start.',
  );
  const form = h(
    'form',
    { class: 'wizard' },
    h('h3', {}, 'Calibrate a plate'),
    h('div', { class: 'row' }, plate, grams, h('span', {}, 'g'), start),
    step,
  ) as HTMLFormElement;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const known = Number(grams.value);
    if (!(known > 0)) {
      step.textContent = 'The known weight must be more than 0 g.';
      return;
    }
    start.setAttribute('disabled', '');
    step.dataset.grams = String(known);
    step.dataset.step = 'still';
    step.textContent = `2. Keep plate ${plate.value} empty and still…`;
    const answer = await command('shelf.calibrate', {
      shelfId: plot.shelfId,
      plate: Number(plate.value),
      grams: known,
    });
    start.removeAttribute('disabled');
    step.dataset.step = answer?.ok ? 'done' : 'failed';
    step.textContent = answer?.ok
      ? `Done: ${answer.result?.message ?? ''}. Take the weight off.`
      : `Not calibrated: ${answer?.error?.message ?? 'no answer'}`;
  });
  return form;
}

/** The wizard's step as the hub's job says: when to place the weight is the hub's call, not a guess. */
function followCalibration(controls: HTMLElement, shelf: ShelfView | undefined): void {
  const step = controls.querySelector<HTMLElement>('.step');
  const running =
    step?.dataset.step === 'still' || step?.dataset.step === 'place' || step?.dataset.step === 'settle';
  if (!step || !running || !shelf?.job) return;
  const plate = shelf.job.plates[0];
  const next = { still: 'still', weight: 'place', settled: 'settle' }[shelf.job.waitingFor];
  if (step.dataset.step === next) return;
  step.dataset.step = next;
  step.textContent =
    next === 'still'
      ? `2. Keep plate ${plate} empty and still…`
      : next === 'place'
        ? `3. Place the ${step.dataset.grams} g weight on plate ${plate} now, and let go.`
        : '4. Settling…';
}

function choose(shelfId: string): void {
  plot.shelfId = shelfId;
  plot.chart?.destroy();
  plot.chart = undefined;
  plot.data = [[]] as typeof plot.data;
  plot.watching = false;
  watchPlot(current() === 'shelves');
}

/** Asks the hub for the chosen shelf's weights while the Shelves tab is shown, and for none otherwise. */
function watchPlot(shown: boolean): void {
  const want = shown && plot.shelfId !== '';
  if (want === plot.watching || socket?.readyState !== WebSocket.OPEN) return;
  plot.watching = want;
  socket.send(JSON.stringify({ type: 'plot', shelfId: want ? plot.shelfId : null }));
}

function takeWeights(message: { shelfId: string; t: number[]; grams: (number | null)[][] }): void {
  if (message.shelfId !== plot.shelfId) return;
  while (plot.data.length < message.grams.length + 1) plot.data.push(plot.data[0]?.map(() => null) ?? []);
  (plot.data[0] as number[]).push(...message.t.map((t) => t / 1000));
  message.grams.forEach((series, p) => {
    (plot.data[p + 1] as (number | null)[]).push(...series);
  });
  // Against the newest sample, not this device's clock, which may be minutes off the hub's.
  const times = plot.data[0] as number[];
  const keepFrom = times.findIndex((t) => t >= (times.at(-1) ?? 0) - PLOT_SECONDS);
  if (keepFrom > 0) for (const series of plot.data) series.splice(0, keepFrom);
  plot.points += message.t.length;
  plot.dirty = true;
}

const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Redraws the plot once per frame when data came: smooth at 60 Hz, idle when nothing moves. */
function frame(): void {
  requestAnimationFrame(frame);
  if (!plot.dirty || current() !== 'shelves' || !window.uPlot) return;
  plot.dirty = false;
  const el = document.getElementById('plot');
  if (!el) return;
  el.dataset.points = String(plot.points);
  if (!plot.chart || plot.chart.series.length !== plot.data.length) {
    plot.chart?.destroy();
    plot.chart = new window.uPlot(
      {
        width: el.clientWidth || 320,
        height: 240,
        scales: { x: { time: true } },
        series: [
          {},
          ...plot.data.slice(1).map((_, p) => ({
            label: `plate ${p}`,
            stroke: colours[p % colours.length],
            width: 1.5,
            spanGaps: false,
            points: { show: false },
          })),
        ],
        axes: [{}, { label: 'g', size: 60 }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      plot.data as uPlotType.AlignedData,
      el,
    );
  } else plot.chart.setData(plot.data as uPlotType.AlignedData);
}
requestAnimationFrame(frame);
window.addEventListener('resize', () => {
  const el = document.getElementById('plot');
  if (plot.chart && el) plot.chart.setSize({ width: el.clientWidth, height: 240 });
});

// ---- events and log -----------------------------------------------------------------------------------

function drawEvents(): void {
  const { view, controls } = parts('events', (c) => {
    const kind = h(
      'select',
      { name: 'kind', 'aria-label': 'Kind' },
      h('option', { value: '' }, 'every kind'),
    );
    const device = h('input', {
      name: 'device',
      type: 'search',
      placeholder: 'device, gate, shelf…',
      'aria-label': 'Device',
    });
    for (const el of [kind, device]) el.addEventListener('input', () => drawEvents());
    c.append(h('div', { class: 'row filters' }, kind, device));
  });
  const kindSelect = controls.querySelector<HTMLSelectElement>('select[name="kind"]') as HTMLSelectElement;
  const kinds = [...new Set(events.map((e) => e.kind))].sort();
  if ([...kindSelect.options].map((o) => o.value).join() !== ['', ...kinds].join()) {
    const chosen = kindSelect.value;
    kindSelect.replaceChildren(
      h('option', { value: '' }, 'every kind'),
      ...kinds.map((k) => h('option', { value: k }, k)),
    );
    kindSelect.value = chosen;
  }
  const kind = kindSelect.value;
  const device = (
    controls.querySelector<HTMLInputElement>('input[name="device"]') as HTMLInputElement
  ).value.trim();
  const mentions = (data: Record<string, unknown>) =>
    !device ||
    ['deviceId', 'gateId', 'shelfId', 'scannerId'].some((k) => String(data[k] ?? '').includes(device));
  const shown = events
    .filter((e) => (!kind || e.kind === kind) && mentions(e.data))
    .slice(-100)
    .reverse();
  const lines = logs
    .filter((l) => !device || (l.deviceId ?? l.part ?? '').includes(device))
    .slice(-60)
    .reverse();
  patch(
    view,
    h('h3', {}, `Events (${shown.length})`),
    h(
      'ol',
      { class: 'feed', 'data-feed': 'events' },
      ...shown.map((e) =>
        h(
          'li',
          { 'data-kind': e.kind },
          h('time', {}, clock(Date.parse(e.time))),
          ' ',
          h('strong', {}, e.kind),
          ' ',
          h('code', {}, JSON.stringify(e.data)),
        ),
      ),
    ),
    h('h3', {}, 'Hub log'),
    h(
      'ol',
      { class: 'feed', 'data-feed': 'log' },
      ...lines.map((l) =>
        h(
          'li',
          { class: l.level },
          h('time', {}, clock(Date.parse(l.time))),
          ' ',
          l.level,
          ' ',
          l.deviceId ?? l.part ?? '',
          ' ',
          l.msg,
        ),
      ),
    ),
  );
}

// ---- the live feed and the tabs -----------------------------------------------------------------------

function current(): Tab {
  const tab = location.hash.slice(1) as Tab;
  return tabs.includes(tab) ? tab : 'overview';
}

let drawPending = false;
/** Draws the visible section at the next frame, once however many messages came. */
function draw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const tab = current();
    watchPlot(tab === 'shelves');
    for (const t of tabs) section(t).hidden = t !== tab;
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a'))
      a.toggleAttribute('aria-current', a.dataset.tab === tab);
    if (tab === 'events') return drawEvents();
    if (!status) return;
    if (tab === 'overview') drawOverview(status);
    if (tab === 'gates') drawGates(status);
    if (tab === 'scanners') drawScanners(status);
    if (tab === 'shelves') drawShelves(status);
    if (tab === 'cameras') drawCameras(status);
  });
}
window.addEventListener('hashchange', draw);

function showSignedOut(why: string): void {
  signedOut = true;
  socket?.close();
  const el = document.getElementById('connection') as HTMLElement;
  el.replaceChildren(why, ' ', h('a', { href: '/login' }, 'Sign in'));
  el.className = 'bad';
  document.body.classList.add('signed-out');
}

function connect(): void {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`);
  socket = ws;
  const connection = document.getElementById('connection') as HTMLElement;
  ws.addEventListener('open', () => {
    connection.textContent = 'Live';
    connection.className = 'good';
    plot.watching = false;
    watchPlot(current() === 'shelves');
  });
  ws.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data));
    switch (message.type) {
      case 'status':
        status = message.status;
        skewMs = message.now - Date.now();
        forgetEndedTests();
        break;
      case 'events':
        events.splice(0, events.length, ...message.events);
        break;
      case 'event':
        events.push(message.event);
        if (events.length > MAX_EVENTS) events.shift();
        break;
      case 'logs':
        logs.splice(0, logs.length, ...message.lines);
        break;
      case 'log':
        logs.push(message.line);
        if (logs.length > MAX_LOGS) logs.shift();
        break;
      case 'scan':
        if (message.scan.code !== undefined) {
          testCodes.unshift(message.scan);
          testCodes.length = Math.min(testCodes.length, 20);
        }
        break;
      case 'weights':
        takeWeights(message);
        return;
      case 'signedOut':
        showSignedOut(message.reason);
        return;
    }
    draw();
  });
  ws.addEventListener('close', (e) => {
    if (signedOut) return;
    if (e.code === 4001) return showSignedOut('Your session has ended: sign in again.');
    connection.textContent = 'Connection to the hub lost; trying again…';
    connection.className = 'bad';
    // A feed refused for a session that has ended looks like any lost connection: ask.
    void fetch('/api/session').then(
      (r) =>
        r.status === 401
          ? showSignedOut('Your session has ended: sign in again.')
          : setTimeout(connect, 2000),
      () => setTimeout(connect, 2000),
    );
  });
}

connect();
draw();
