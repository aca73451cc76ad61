// HID scanner profiles: the shipped ones load with the ids and formats their comments cite, and a
// wrong profile is refused naming the file and the key, before any scanner is opened.
import { join } from 'node:path';
import t from 'tap';
import { devicesDir, profilePath } from '../../src/drivers/profile-file.js';
import { HidKeyboardDecoder } from '../../src/drivers/scanner/hid-keyboard.js';
import { HidPosDecoder } from '../../src/drivers/scanner/hid-pos.js';
import { hidProfileSchema, loadHidProfile } from '../../src/drivers/scanner/hid-profile.js';

t.test('the shipped keyboard-wedge profile: US layout, Enter, no ids, 2048 bytes, 500 ms', async (t) => {
  const path = profilePath('hid-keyboard-wedge-generic', '/etc/store-gateway');
  t.equal(path, join(devicesDir, 'hid-keyboard-wedge-generic.yaml'));
  const profile = loadHidProfile(path);
  t.match(profile, {
    kind: 'hid-scanner',
    mode: 'keyboard',
    layout: 'us',
    terminator: 'enter',
    maxCodeBytes: 2048,
    interReportTimeoutMs: 500,
  });
  t.equal(profile.match, undefined, 'a generic profile leaves the ids to the configuration');
  t.equal(profile.mode === 'keyboard' && profile.reportId, undefined, 'plain boot reports');
});

t.test('the shipped Newland FM420 profile: 1eab:0d10 in HID POS, code-id-trailer format', async (t) => {
  // Newland, NLS-FM420 Integration Guide, "USB Interface" > "HID-POS" > VID and PID table.
  t.match(loadHidProfile(join(devicesDir, 'hid-pos-newland-fm420.yaml')), {
    mode: 'pos',
    match: { vendorId: 0x1eab, productId: 0x0d10 },
    reportFormat: 'code-id-trailer',
    aimPrefix: false,
    maxCodeBytes: 2048,
    interReportTimeoutMs: 500,
  });
});

t.test(
  'the shipped aim-header profile: Honeywell and Access-IS format, ids from the configuration',
  async (t) => {
    const profile = loadHidProfile(join(devicesDir, 'hid-pos-aim-header-generic.yaml'));
    t.match(profile, { mode: 'pos', reportFormat: 'aim-header' });
    t.equal(profile.match, undefined);
  },
);

t.test('every shipped HID profile gives a working decoder', async (t) => {
  for (const name of ['hid-keyboard-wedge-generic', 'hid-pos-newland-fm420', 'hid-pos-aim-header-generic']) {
    const profile = loadHidProfile(join(devicesDir, `${name}.yaml`));
    const scans: string[] = [];
    const onScan = (scan: { credential: { reveal(): string } }) => scans.push(scan.credential.reveal());
    if (profile.mode === 'keyboard') {
      const decoder = new HidKeyboardDecoder({ profile, onScan });
      decoder.decode(Uint8Array.from([0, 0, 0x1e, 0, 0, 0, 0, 0]), 0);
      decoder.decode(Uint8Array.from([0, 0, 0x28, 0, 0, 0, 0, 0]), 1);
    } else {
      const decoder = new HidPosDecoder({ profile, onScan });
      const report = new Uint8Array(64);
      report.set(profile.reportFormat === 'aim-header' ? [2, 1, 0x5d, 0x51, 0x31, 0x31] : [2, 1, 0x31]);
      decoder.decode(report, 0);
    }
    t.same(scans, ['1'], name);
  }
});

t.test('a wrong profile is refused, naming the file and the key', async (t) => {
  const head = 'kind: hid-scanner\nmodel: m\ndescription: d\n';
  const dir = t.testdir({
    'layout.yaml': `${head}mode: keyboard\nlayout: fr\n`,
    'mode.yaml': `${head}mode: serial\n`,
    'format.yaml': `${head}mode: pos\nreportFormat: snapi\n`,
    'vid.yaml': `${head}mode: pos\nreportFormat: aim-header\nmatch: { vendorId: 0x10000, productId: 1 }\n`,
    'mixed.yaml': `${head}mode: keyboard\nlayout: us\nreportFormat: aim-header\n`,
    'typo.yaml': `${head}mode: keyboard\nlayout: us\nmaxCodeByte: 100\n`,
    'huge.yaml': `${head}mode: keyboard\nlayout: us\nmaxCodeBytes: 1000000\n`,
    'fast.yaml': `${head}mode: pos\nreportFormat: aim-header\ninterReportTimeoutMs: 5\n`,
    'id.yaml': `${head}mode: keyboard\nlayout: us\nreportId: 0\n`,
  });
  const load = (name: string) => () => loadHidProfile(join(dir, name));
  t.throws(load('layout.yaml'), /layout\.yaml: layout: /);
  t.throws(load('mode.yaml'), /mode\.yaml: mode: /);
  t.throws(load('format.yaml'), /format\.yaml: reportFormat: /);
  t.throws(load('vid.yaml'), /vid\.yaml: match\.vendorId: /);
  t.throws(load('mixed.yaml'), /mixed\.yaml: .*reportFormat/, 'a POS key on a keyboard profile');
  t.throws(load('typo.yaml'), /typo\.yaml: .*maxCodeByte/);
  t.throws(load('huge.yaml'), /huge\.yaml: maxCodeBytes: .*8192/);
  t.throws(load('fast.yaml'), /fast\.yaml: interReportTimeoutMs: /);
  t.throws(load('id.yaml'), /id\.yaml: reportId: /, 'report id 0 means "no id" in HID: leave it out');
  t.throws(load('missing.yaml'), /cannot read .*missing\.yaml/);
});

t.test('defaults: 2048 bytes, 500 ms, Enter, no AIM prefix', async (t) => {
  const base = { kind: 'hid-scanner', model: 'm', description: 'd' };
  t.match(hidProfileSchema.parse({ ...base, mode: 'keyboard', layout: 'de' }), {
    maxCodeBytes: 2048,
    interReportTimeoutMs: 500,
    terminator: 'enter',
  });
  t.match(hidProfileSchema.parse({ ...base, mode: 'pos', reportFormat: 'length-only' }), {
    maxCodeBytes: 2048,
    interReportTimeoutMs: 500,
    aimPrefix: false,
  });
});
