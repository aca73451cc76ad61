import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  type ModbusProfile,
  modbusProfileSchema,
  parseModbusProfile,
} from '../../../src/drivers/weight/modbus/profile.js';
import { SampleDecoder } from '../../../src/drivers/weight/modbus/readings.js';
import { emptyCounters } from '../../../src/drivers/weight/port.js';
import { serialSettings } from '../../../src/drivers/weight/serial-profile.js';

const devicesDir = join(import.meta.dirname, '../../../devices');

const base = {
  protocol: 'modbus-rtu',
  model: 'test-4ch',
  description: 'four channels for a test',
  channels: 4,
  registers: { function: 3, start: 0, type: 'int32' },
  unit: 'grams',
  range: { min: -1000, max: 50_000 },
};

/** A valid profile with `changes` merged in (one level deep for the nested keys given). */
function profile(changes: Record<string, unknown> = {}): ModbusProfile {
  return modbusProfileSchema.parse({ ...base, ...changes });
}

function problems(raw: unknown): string[] {
  const result = modbusProfileSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

t.test('every devices/modbus-*.yaml is a valid profile, each of its own model', async (t) => {
  const files = readdirSync(devicesDir).filter((f) => /^modbus-.*\.yaml$/.test(f));
  t.ok(files.length >= 2, `${files.length} Modbus profiles`);
  const models = new Set<string>();
  for (const file of files) {
    const parsed = parseModbusProfile(readFileSync(join(devicesDir, file), 'utf8'), file);
    t.notOk(models.has(parsed.model), `${file}: model ${parsed.model} is not taken by another file`);
    models.add(parsed.model);
    t.ok(new SampleDecoder(parsed).reads.length >= 1, `${file}: a poll plan can be made`);
  }
});

t.test('the shipped 4-channel profile reads weights and status in one request', async (t) => {
  const p = parseModbusProfile(readFileSync(join(devicesDir, 'modbus-4ch-int32.yaml'), 'utf8'), 'x');
  t.same(new SampleDecoder(p).reads, [{ fn: 3, start: 0, count: 9 }]);
  t.same(p.zero, { register: 16, value: 1, function: 6 });
});

t.test(
  'a profile leaves out what most modules share: defaults for serial, timing, word order, scale',
  async (t) => {
    const p = profile();
    t.same(p.serial, { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    t.same(p.timing, { responseTimeoutMs: 100, retries: 2 });
    t.equal(p.registers.wordOrder, 'big');
    t.equal(p.scale, 1);
  },
);

t.test('a wrong profile is refused with the key and what was expected', async (t) => {
  t.match(problems({ ...base, protocol: 'modbus-tcp' }), [/^protocol: /]);
  t.match(problems({ ...base, extra: 1 }), [/Unrecognized key.*extra/]);
  t.match(problems({ ...base, registers: { ...base.registers, addresses: [0, 2, 4, 6] } }), [
    /^registers: give either start \(contiguous channels\) or addresses/,
  ]);
  t.match(problems({ ...base, registers: { function: 3, type: 'int32' } }), [/^registers: give either/]);
  t.match(problems({ ...base, registers: { function: 3, type: 'int32', addresses: [0, 2] } }), [
    /^registers\.addresses: expected 4 addresses, one per channel/,
  ]);
  t.match(problems({ ...base, registers: { ...base.registers, start: 65530 } }), [
    /^registers\.start: the channels run past register 65535/,
  ]);
  t.match(problems({ ...base, registers: { ...base.registers, function: 6 } }), [/^registers\.function: /]);
  t.match(problems({ ...base, registers: { ...base.registers, type: 'float64' } }), [/^registers\.type: /]);
  t.match(problems({ ...base, range: { min: 5, max: 5 } }), [/^range: min must be below max/]);
  t.match(problems({ ...base, scale: 0 }), [/^scale: a finite number other than 0/]);
  t.match(problems({ ...base, status: { function: 3, register: 8, overloadBits: [0, 1] } }), [
    /^status\.overloadBits: expected 1 bit \(the whole module\) or 4 \(one per channel\)/,
  ]);
  t.match(problems({ ...base, status: { function: 3, register: 8, adcErrorBits: [16] } }), [
    /^status\.adcErrorBits\.0: /,
  ]);
  t.match(problems({ ...base, zero: { register: 1, value: 1, function: 3 } }), [/^zero\.function: /]);
  t.match(problems({ ...base, serial: { dataBits: 7 } }), [/^serial\.dataBits: /]);
});

t.test('a profile file that is not YAML, or not valid, names the file and the key', async (t) => {
  t.throws(
    () => parseModbusProfile('channels: [4', 'devices/broken.yaml'),
    /^devices\/broken\.yaml: not valid YAML/,
  );
  t.throws(
    () => parseModbusProfile('protocol: modbus-rtu\nmodel: x\n', 'devices/x.yaml'),
    /invalid Modbus profile:\ndevices\/x\.yaml: description: /,
  );
  t.throws(() => parseModbusProfile('', 'devices/empty.yaml'), /devices\/empty\.yaml: \(top\): /);
});

t.test(
  "a bus's port takes the profile's settings unless its configuration overrides speed or parity",
  async (t) => {
    const p = profile({ serial: { baudRate: 19200, parity: 'even' } });
    t.same(serialSettings('/dev/ttyUSB0', p.serial), {
      path: '/dev/ttyUSB0',
      baudRate: 19200,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
    });
    t.match(serialSettings('/dev/ttyUSB0', p.serial, { baudRate: 38400, parity: 'none' }), {
      baudRate: 38400,
      parity: 'none',
    });
  },
);

t.test('a poll reads as few blocks as the register map allows', async (t) => {
  const reads = (changes: Record<string, unknown>) => new SampleDecoder(profile(changes)).reads;
  t.same(reads({}), [{ fn: 3, start: 0, count: 8 }], 'contiguous channels: one read');
  t.same(
    reads({ status: { function: 3, register: 8 } }),
    [{ fn: 3, start: 0, count: 9 }],
    'a status register right after them joins the read',
  );
  t.same(
    reads({ status: { function: 3, register: 20 } }),
    [
      { fn: 3, start: 0, count: 8 },
      { fn: 3, start: 20, count: 1 },
    ],
    'registers in a gap may not exist: a separate read',
  );
  t.same(
    reads({ status: { function: 4, register: 8 } }),
    [
      { fn: 3, start: 0, count: 8 },
      { fn: 4, start: 8, count: 1 },
    ],
    'an input register cannot share a holding-register read',
  );
  t.same(
    reads({ registers: { function: 4, type: 'int16', addresses: [7, 5, 6, 30] } }),
    [
      { fn: 4, start: 5, count: 3 },
      { fn: 4, start: 30, count: 1 },
    ],
    'channels out of order but touching share a read',
  );
  const wide = reads({ channels: 32, registers: { function: 3, start: 0, type: 'float32' } });
  t.ok(wide.length === 1 && wide[0]?.count === 64, '32 float channels in one read of 64 registers');
  const tooWide = reads({
    channels: 32,
    registers: { function: 3, type: 'int16', addresses: Array.from({ length: 32 }, (_, i) => i * 4) },
  });
  t.equal(tooWide.length, 32, 'spread-out channels: one read each');
});

/** Registers of one read as a Uint16Array. */
const words = (...w: number[]) => Uint16Array.from(w);

t.test('values decode by type and word order, then scale', async (t) => {
  const decode = (registers: Record<string, unknown>, w: number[], extra: Record<string, unknown> = {}) =>
    Array.from(
      new SampleDecoder(
        profile({ channels: 2, registers, range: { min: -1e10, max: 1e10 }, ...extra }),
      ).decode([words(...w)], emptyCounters()),
    );
  t.same(decode({ function: 3, start: 0, type: 'int16' }, [0xfffe, 1200]), [-2, 1200], 'int16 is signed');
  t.same(decode({ function: 3, start: 0, type: 'uint16' }, [0xfffe, 1200]), [65534, 1200]);
  t.same(decode({ function: 3, start: 0, type: 'int32' }, [0xffff, 0xfc18, 0x0001, 0x0000]), [-1000, 65536]);
  t.same(
    decode({ function: 3, start: 0, type: 'int32', wordOrder: 'little' }, [0xfc18, 0xffff, 0x0000, 0x0001]),
    [-1000, 65536],
    'little: low word first',
  );
  t.same(
    decode({ function: 3, start: 0, type: 'uint32' }, [0x8000, 0, 0, 7]),
    [2147483648, 7],
    'uint32 is not',
  );
  t.same(decode({ function: 3, start: 0, type: 'float32' }, [0x3fc0, 0x0000, 0xc120, 0x0000]), [1.5, -10]);
  t.same(
    decode({ function: 3, start: 0, type: 'float32', wordOrder: 'little' }, [0x0000, 0x3fc0, 0x0000, 0xc120]),
    [1.5, -10],
  );
  t.same(
    decode({ function: 3, start: 0, type: 'float32', wordOrder: 'little' }, [0x0000, 0x3fc0, 0, 0], {
      scale: 1000,
    }),
    [1500, 0],
    'kilograms times 1000 are grams',
  );
});

t.test(
  'a value that cannot be a plate load reads NaN and is counted, never passed on as a weight',
  async (t) => {
    const p = profile({
      channels: 4,
      registers: { function: 3, start: 0, type: 'float32' },
      range: { min: -100, max: 1000 },
    });
    const counters = emptyCounters();
    const nan = [0x7fc0, 0x0000];
    const inf = [0x7f80, 0x0000];
    const tooHeavy = [0x447a, 0x4000]; // 1001
    const fine = [0x4479, 0xc000]; // 999
    const values = new SampleDecoder(p).decode([words(...nan, ...inf, ...tooHeavy, ...fine)], counters);
    t.ok(
      Number.isNaN(values[0]) && Number.isNaN(values[1]) && Number.isNaN(values[2]),
      'NaN, infinity, 1001 g',
    );
    t.equal(values[3], 999, 'the channel in range is untouched');
    t.equal(counters.outOfRange, 3);
    t.equal(counters.deviceErrors, 0);
  },
);

t.test('status bits: an overloaded channel is out of range, an ADC error is a device error', async (t) => {
  const perChannel = new SampleDecoder(
    profile({
      status: { function: 3, register: 8, overloadBits: [0, 1, 2, 3], adcErrorBits: [8, 9, 10, 11] },
    }),
  );
  const counters = emptyCounters();
  const reading = [0, 100, 0, 200, 0, 300, 0, 400];
  const values = perChannel.decode([words(...reading, 0b0000_0100_0000_0010)], counters);
  t.same(
    Array.from(values).map((v) => (Number.isNaN(v) ? 'NaN' : v)),
    [100, 'NaN', 'NaN', 400],
  );
  t.same([counters.outOfRange, counters.deviceErrors], [1, 1]);
  t.same(Array.from(perChannel.decode([words(...reading, 0)], counters)), [100, 200, 300, 400], 'all clear');

  const wholeModule = new SampleDecoder(
    profile({ status: { function: 3, register: 8, overloadBits: [15] } }),
  );
  const flagged = wholeModule.decode([words(...reading, 0x8000)], emptyCounters());
  t.ok(Array.from(flagged).every(Number.isNaN), 'one bit for the module flags every channel');
});
